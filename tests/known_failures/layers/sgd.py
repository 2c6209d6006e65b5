"""torch.optim.SGD's known failures (the optimizer_steps property's SGD row)."""

from __future__ import annotations

import torch

from spec.dtypes import HALF_DTYPES
from tests.known_failures.entry import Check, KnownFailure, Observed, Where

LAYER = "SGD"
# Found by the optimizer property's own runs on torch 2.13.0 (issue 19), under the default
# and AVX2 kernel sets.
SEEN = Observed(since="2.13.0")


def offers_fused(cls: type) -> bool:
    """Whether this release's `cls` steps CPU parameters with fused=True (2.1.2's takes no
    fused= (SGD) or only for accelerators (Adam, AdamW)): where it cannot, there is no
    fused kernel to be wrong, and a repro passes (not reproduced, never red)."""
    try:
        cls([torch.zeros(1, requires_grad=True)], lr=0.1, fused=True)
    except (TypeError, RuntimeError):
        return False
    return True


def _fused_half(where: Where) -> bool:
    return bool(where.hp.get("fused"))


def fused_half_skips_simd_blocks() -> None:
    if not offers_fused(torch.optim.SGD):
        return
    for dtype in (torch.float16, torch.bfloat16):
        p = torch.full((64,), 2.0, dtype=dtype, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=0.5, fused=True)
        p.grad = torch.ones(64, dtype=dtype)
        optimizer.step()
        # p - lr * g = 2 - 0.5 = 1.5 everywhere, exact in both dtypes.
        assert p[0].item() == 1.5, (dtype, p[0].item())


FUSED_HALF_SKIPS_SIMD_BLOCKS = KnownFailure(
    id="sgd-fused-half-skips-simd-blocks",
    layer=LAYER,
    breaks=Check.OPTIMIZER_STEP,
    dtypes=HALF_DTYPES,
    # Measured on an Intel Xeon with AMX: 2.13.0 wrong, 2.14.1 right (pull 192545).
    releases="<2.14",
    covers=_fused_half,
    repro=fused_half_skips_simd_blocks,
    observed=Observed(since="2.6.0"),
    summary=(
        "torch.optim.SGD(fused=True) on the CPU leaves every full SIMD block of a float16 or "
        "bfloat16 parameter unchanged (only the scalar tail steps: p[0] stays 2.0 where "
        "2 - 0.5 * 1 = 1.5) and writes wrong momentum buffers there. Found by the "
        "optimizer_steps property; fused SGD is not judged in these dtypes on the CPU"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/191763 (closed; fixed by pull 192545, in 2.14)"
    ),
)


def _fused_with_momentum(where: Where) -> bool:
    return bool(where.hp.get("fused")) and where.hp.get("momentum", 0) != 0


def fused_late_first_gradient() -> None:
    if not offers_fused(torch.optim.SGD):
        return
    a, b = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    optimizer = torch.optim.SGD([a, b], lr=0.1, momentum=0.9, fused=True)
    a.grad = torch.ones(2)
    optimizer.step()  # b has no gradient yet: a alone gets a momentum buffer
    b.grad = torch.ones(2)
    try:
        optimizer.step()  # b's first buffer is its gradient, as the for-loop does
    except TypeError as error:
        raise AssertionError(f"fused step raised: {error}") from error


FUSED_LATE_FIRST_GRADIENT = KnownFailure(
    id="sgd-fused-late-first-gradient",
    layer=LAYER,
    breaks=Check.OPTIMIZER_STEP,
    covers=_fused_with_momentum,
    # The first CUDA run met it there too, in every dtype; the repro is the CPU's.
    devices=("cpu", "cuda"),
    repro=fused_late_first_gradient,
    observed=Observed(since="2.6.0"),
    summary=(
        "torch.optim.SGD(fused=True, momentum > 0) raises TypeError at a step where a "
        "parameter has its first gradient while another already has a momentum buffer: the "
        "fused path takes the first step for all parameters or none and hands the missing "
        "buffer, None, to torch._fused_sgd_ ('expected Tensor as element 1 in argument 2'); "
        "the for-loop and foreach paths start that buffer as the law says. CUDA's fused "
        "SGD raises alike (first CUDA run, torch 2.11.0+cu130)"
    ),
    upstream="not filed (no upstream issue found)",
)

ENTRIES = (FUSED_HALF_SKIPS_SIMD_BLOCKS, FUSED_LATE_FIRST_GRADIENT)
