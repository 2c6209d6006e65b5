"""Known torch failures the optimizer property meets, applied where the register says.

The entries live in the register (tests/known_failures/layers/sgd.py, adam.py, adamw.py,
with their repros, scopes and upstream issues; their strict xfails run with the other
entries). An optimizer run is not one drawn case a property can leave out, so the register
is asked here, per implementation, step or element: a whole implementation (fused SGD in
half precision), a step that raises as recorded, the elements that keep the recorded
value. Under --ignore-known-failures or another implementation the register answers
nothing, and every run is judged.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import torch
from hypothesis import note

from report.interface import cover
from tests.known_failures import Check, Where
from tests.known_failures.register import covering
from tests.tensors import torch_dtype

if TYPE_CHECKING:
    from tests.optimizer_checks import Run


def _recorded(entry_id: str, run: Run) -> bool:
    """Whether the register's entry `entry_id` covers this run (and is honoured)."""
    where = Where(run.spec.name, run.dtype, run.device, {**run.hp, **run.kwargs})
    return any(known.id == entry_id for known in covering(Check.OPTIMIZER_STEP, where))


@functools.cache
def _fused_sgd_still_skips(cls: type, dtype: str) -> bool:
    """The pytorch#191763 repro: does a 64-element half parameter still not move?"""
    p = torch.full((64,), 2.0, dtype=torch_dtype(dtype), requires_grad=True)
    optimizer = cls([p], lr=0.5, fused=True)
    p.grad = torch.ones_like(p)
    optimizer.step()
    return p[0].item() == 2.0


def implementation_fails_as_recorded(cls: type, run: Run) -> str | None:
    """Inside a carve-out of a whole implementation: "" when it still fails as recorded
    (nothing to judge), a 'fixed' message when it no longer does; None outside."""
    if not _recorded("sgd-fused-half-skips-simd-blocks", run):
        return None
    if _fused_sgd_still_skips(cls, run.dtype):
        note("known torch failure sgd-fused-half-skips-simd-blocks: not judged")
        cover("known torch failure=fused SGD skips half-precision SIMD blocks (pytorch#191763)")
        return ""
    return (
        "fixed: fused SGD steps a 64-element half-precision parameter (pytorch#191763); "
        "remove the entry in tests/known_failures/layers/sgd.py"
    )


def _fused_sgd_late_first_gradient(run: Run, optimizer: torch.optim.Optimizer, params) -> bool:
    if not _recorded("sgd-fused-late-first-gradient", run):
        return False
    buffered = [
        "momentum_buffer" in optimizer.state.get(p, {}) for p in params if p.grad is not None
    ]
    return any(buffered) and not all(buffered)


def step_fails_as_recorded(run: Run, optimizer: torch.optim.Optimizer, params) -> str | None:
    """Inside a step-level carve-out: step, and say how it failed as recorded ("" when it
    did, nothing left to judge), or that it is fixed; None outside every carve-out."""
    if not _fused_sgd_late_first_gradient(run, optimizer, params):
        return None
    try:
        optimizer.step()
    except TypeError as error:
        note(f"known torch failure (tests/known_failures/): {error}")
        cover("known torch failure=fused SGD, late first gradient")
        return ""
    return (
        "fixed: fused SGD stepped a parameter's late first gradient; remove the carve-out "
        "in tests/known_failures/layers/sgd.py"
    )


def law_hyperparameters(run: Run) -> dict:
    """The hyperparameters the law steps with: the run's, except where a recorded torch
    failure computes with other constants (CUDA's fused Adam rounds its betas to float32
    first): the law then takes that entry's constants, and everything else is judged."""
    entry = f"{run.spec.name.lower()}-cuda-fused-rounds-betas"
    if "betas" not in run.hp or not _recorded(entry, run):
        return run.hp
    note(f"known torch failure {entry}: the law steps with float32 betas")
    cover("known torch failure=CUDA fused Adam rounds its betas to float32")
    return {**run.hp, "betas": tuple(float(np.float32(b)) for b in run.hp["betas"])}


def carved_elements(
    run: Run, name: str, old: dict[str, np.ndarray], new: dict[str, np.ndarray], actual: np.ndarray
) -> np.ndarray:
    """The elements of state `name` an element-level carve-out covers, failing as recorded.

    Not strict about which elements keep the old value: that depends on the SIMD width of
    the kernel set, which Python does not see; each covered element must be NaN (as the
    law says) or the old maximum (as recorded).
    """
    none = np.zeros(np.shape(actual), dtype=bool)
    entry = f"{run.spec.name.lower()}-fused-amsgrad-ignores-nan"
    if name != "max_exp_avg_sq" or not _recorded(entry, run):
        return none
    previous = old.get("max_exp_avg_sq", np.zeros(np.shape(actual)))
    covered = np.isnan(new["exp_avg_sq"]) & ~np.isnan(previous)
    kept = covered & (actual == previous)
    if not (covered & ~kept & ~np.isnan(actual)).any() and kept.any():
        note("known torch failure adam-fused-amsgrad-ignores-nan: the old maximum accepted")
        cover("known torch failure=fused amsgrad drops NaN in its scalar tail")
        return kept
    return none
