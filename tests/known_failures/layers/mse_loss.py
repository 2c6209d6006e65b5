"""MSELoss's known failures."""

from __future__ import annotations

import numpy as np
import torch

from spec.dtypes import format_of
from tests.known_failures.entry import Check, KnownFailure, Observed, Where, seen_on_cuda
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "MSELoss"
FLOAT16_LARGEST = format_of("float16").largest


def _a_square_overflows(where: Where) -> bool:
    """Some (x - target)^2 passes 65504: float16 rounds that square to inf."""
    if where.x is None or not where.call_arguments:
        return False
    difference = np.asarray(where.x, np.float64) - np.asarray(where.call_arguments[0], np.float64)
    return bool((difference**2 > FLOAT16_LARGEST).any())


def half_squares_overflow(path: str) -> None:
    x = torch.tensor([300.0, 0.0], dtype=torch.float16)
    # The mean of 90000 and 0 is 45000, which rounds to 44992 in float16 (its spacing is
    # 32 there); 90000 alone is past float16's largest, 65504.
    loss = on_path(path, torch.nn.MSELoss())(x, torch.zeros(2, dtype=torch.float16)).item()
    assert loss == 44992.0, f"mse_loss {loss}, the mean of the squares rounds to 44992"


HALF_SQUARES_OVERFLOW = KnownFailure(
    id="mse_loss-half-squares-overflow",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_a_square_overflows,
    paths=running_kernels("aten"),
    repro=half_squares_overflow,
    found_by="exact",
    observed=Observed(since="2.6.0"),
    summary=(
        "CPU float16 MSELoss rounds each square (x - target)^2 to float16 before it "
        "reduces them, so one square past 65504 makes the loss inf although the mean "
        "fits: (300, 0) against zeros gives inf for 45000, 44992 in float16 (mean and sum "
        "alike; bfloat16 and float32 give 45056 and 45000; inductor's code is right). "
        "The gradient, 2 (x - target) / n, is right. Found by a float16 run of the "
        "training_steps property (a Sequential's loss: inf for 18760); re-found by the "
        "exact case 'a mean of squares past float16's range'"
    ),
    upstream="not filed (no upstream issue found)",
)


def cuda_half_squares_overflow() -> None:
    x = torch.tensor([-192.0, 256.0], dtype=torch.float16, device="cuda")
    loss = torch.nn.MSELoss()(x, torch.zeros_like(x)).item()
    # The mean of 36864 and 65536 is 51200, exact in float16; 65536 alone is not.
    assert loss == 51200.0, f"mse_loss {loss}, the law 51200"


CUDA_HALF_SQUARES_OVERFLOW = seen_on_cuda(
    HALF_SQUARES_OVERFLOW,
    cuda_half_squares_overflow,
    (
        "CUDA float16 MSELoss rounds each square to float16 as the CPU's does "
        "(mse_loss-half-squares-overflow): (-192, 256) against zeros gives inf for a mean "
        "of 51200. Found by the exact case 'a mean of squares past float16's range' on "
        "the first CUDA run"
    ),
)

ENTRIES = (HALF_SQUARES_OVERFLOW, CUDA_HALF_SQUARES_OVERFLOW)
