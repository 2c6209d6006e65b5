"""torch.optim.Adam's and AdamW's known failures (one fused kernel serves both)."""

from __future__ import annotations

import math

import torch

from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers.sgd import offers_fused

LAYER = "Adam"


def _fused_amsgrad(where: Where) -> bool:
    return bool(where.hp.get("fused")) and bool(where.hp.get("amsgrad"))


def fused_amsgrad_ignores_nan() -> None:
    if not offers_fused(torch.optim.Adam):
        return
    p = torch.zeros(9, requires_grad=True)
    adam = torch.optim.Adam([p], lr=0.1, amsgrad=True, fused=True)
    p.grad = torch.ones(9)
    adam.step()
    p.grad = torch.full((9,), float("nan"))
    adam.step()
    # exp_avg_sq is NaN after a NaN gradient: max(old, NaN) is NaN, as torch.maximum gives
    # in the for-loop and foreach implementations, for every element.
    kept = adam.state[p]["max_exp_avg_sq"].tolist()
    assert all(math.isnan(v) for v in kept), kept


FUSED_AMSGRAD_IGNORES_NAN = KnownFailure(
    id="adam-fused-amsgrad-ignores-nan",
    layer=LAYER,
    breaks=Check.OPTIMIZER_STEP,
    covers=_fused_amsgrad,
    # The first CUDA run met it in every element there (lr 0, betas 0, a NaN second
    # gradient: max_exp_avg_sq 0.0 where the law is NaN); the repro is the CPU's.
    devices=("cpu", "cuda"),
    repro=fused_amsgrad_ignores_nan,
    observed=Observed(since="2.6.0"),
    summary=(
        "torch.optim.Adam/AdamW(amsgrad=True, fused=True) on the CPU keeps the old "
        "max_exp_avg_sq where the new exp_avg_sq is NaN, for the elements past the last "
        "full SIMD vector (the kernel's scalar tail drops the NaN): 9 float32 elements give "
        "8 x NaN then 0.0010, where the law (and the for-loop and foreach paths) give NaN "
        "for all nine. The parameter is NaN either way; the property accepts, element by "
        "element, the law's NaN or the old maximum. CUDA's fused kernel drops the NaN in "
        "every element (first CUDA run, torch 2.11.0+cu130)"
    ),
    upstream="not filed (no upstream issue found)",
)

ENTRIES = (FUSED_AMSGRAD_IGNORES_NAN,)
