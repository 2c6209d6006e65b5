"""torch.optim.AdamW's known failures: Adam's fused kernel, with decoupled decay."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch

from tests.known_failures.entry import KnownFailure
from tests.known_failures.layers import adam
from tests.known_failures.layers.sgd import offers_fused

LAYER = "AdamW"


def fused_amsgrad_ignores_nan() -> None:
    if not offers_fused(torch.optim.AdamW):
        return
    p = torch.zeros(9, requires_grad=True)
    adamw = torch.optim.AdamW([p], lr=0.1, amsgrad=True, fused=True)
    p.grad = torch.ones(9)
    adamw.step()
    p.grad = torch.full((9,), float("nan"))
    adamw.step()
    # max(old, NaN) is NaN, as the for-loop and foreach paths give for every element.
    kept = adamw.state[p]["max_exp_avg_sq"].tolist()
    assert all(math.isnan(v) for v in kept), kept


def cuda_fused_rounds_betas() -> None:
    adam.cuda_fused_rounds_betas(torch.optim.AdamW)


def _like(entry: KnownFailure, repro: Callable[[], None]) -> KnownFailure:
    """Adam's entry for this optimizer: its scope and summary, this optimizer's repro."""
    return dataclasses.replace(
        entry,
        id=entry.id.replace("adam-", "adamw-", 1),
        layer=LAYER,
        repro=repro,
        summary=f"{entry.summary} (AdamW as Adam: the same kernel)",
    )


ENTRIES = (
    _like(adam.CUDA_FUSED_ROUNDS_BETAS, cuda_fused_rounds_betas),
    _like(adam.FUSED_AMSGRAD_IGNORES_NAN, fused_amsgrad_ignores_nan),
)
