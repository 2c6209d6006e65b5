"""LogSoftmax's known torch failures (and CrossEntropyLoss's over one class, which takes
the same kernel: tests/known_failures/layers/cross_entropy_loss.py)."""

from __future__ import annotations

import math

import torch

from spec.softmax_dim import axis_of
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "LogSoftmax"
# The vectorised half-precision kernel over a dim that is not the last takes 16 inner
# positions at a time; below that it runs a scalar loop.
HALF_LANES = 16
# Where 2.1.2 and 2.6.0 got these wrong: the AVX2 and default kernel sets. The AVX-512
# set's kernel is right on 2.6.0 (all four repros pass there, AMD EPYC, 2026-12-04).
HALF_KERNEL_SETS = ("default", "avx2")
OBSERVED_HALF = Observed(since="2.1.2", kernel_sets=HALF_KERNEL_SETS)
HALF = ("float16", "bfloat16")
# A (1, 1, 4, 4) input drawn by torch.manual_seed(0) (torch.randn, rounded to bfloat16):
# one position of the 16 comes back nonzero over the size-1 dim on 2.6.0.
ROW = (
    -1.125, -1.15625, -0.25, -0.43359375, 0.84765625, 0.69140625, -0.31640625, -2.109375,
    0.322265625, -1.265625, 0.349609375, 0.30859375, 0.11962890625, 1.234375, 1.1171875,
    -0.2470703125,
)  # fmt: skip


def one_element_along_dim(where: Where) -> bool:
    """The reduced dim has one element: the answer is exactly 0, x - x - log(exp(0))."""
    if where.x is None or where.x.ndim == 0:
        return False
    return where.x.shape[axis_of(dict(where.arguments), where.x.ndim)] == 1


def half_single_element_nonzero(path: str) -> None:
    x = torch.tensor(ROW, dtype=torch.bfloat16).reshape(1, 1, 4, 4)
    y = on_path(path, torch.nn.LogSoftmax(dim=1))(x)
    # log_softmax over one element is x - x - log(exp(0)) = 0 exactly, in any dtype.
    assert torch.equal(y, torch.zeros_like(y)), y.flatten().tolist()


HALF_SINGLE_ELEMENT = KnownFailure(
    id="log_softmax-half-single-element-nonzero",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=HALF,
    releases="<2.13",
    covers=one_element_along_dim,
    paths=running_kernels("aten"),
    found_by="modes",
    repro=half_single_element_nonzero,
    kernel_sets=HALF_KERNEL_SETS,
    observed=OBSERVED_HALF,
    summary=(
        "CPU log_softmax in bfloat16 (and float16) over a dim of one element, not the last "
        "dim, is not exactly 0 at some positions: torch.log_softmax(x, 1) for a (1, 1, 4, 4) "
        "bfloat16 x gives 1.49e-8 at x = -1.265625, where log_softmax of one element is "
        "x - x - log(exp(0)) = 0 for any algorithm. Seen on 2.1.2 and 2.6.0; 2.13.0 "
        "gives 0. Found by the modes property (LogSoftmax) and by CrossEntropyLoss over "
        "one class"
    ),
    upstream="not filed (not reproduced on 2.13.0)",
)


def inner_size(x_shape: tuple, axis: int) -> int:
    return math.prod(x_shape[axis + 1 :])


def full_half_vector_inside(where: Where) -> bool:
    """The reduced dim is not the last, and a full vector of 16 inner positions exists."""
    if where.x is None or where.x.ndim == 0:
        return False
    return inner_size(where.x.shape, axis_of(dict(where.arguments), where.x.ndim)) >= HALF_LANES


def half_upper_lanes_wrong_max(path: str) -> None:
    x = torch.zeros(2, HALF_LANES, dtype=torch.bfloat16)
    x[1, 15] = 100.0
    y = on_path(path, torch.nn.LogSoftmax(dim=0))(x)
    # Column 15 is (0, 100): log_softmax is (-100, 0), finite, exact in bfloat16.
    assert y[:, 15].tolist() == [-100.0, 0.0], y[:, 15].tolist()


HALF_UPPER_LANES_WRONG_MAX = KnownFailure(
    id="log_softmax-half-upper-lanes-wrong-max",
    layer=LAYER,
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    dtypes=HALF,
    releases="<2.13",
    covers=full_half_vector_inside,
    paths=running_kernels("aten"),
    found_by="forward",
    repro=half_upper_lanes_wrong_max,
    kernel_sets=HALF_KERNEL_SETS,
    observed=OBSERVED_HALF,
    summary=(
        "CPU log_softmax in bfloat16 and float16 over a dim that is not the last, with 16 "
        "or more inner positions: lanes 8-15 of each 16 are shifted by the max of lanes "
        "0-7, not their own, so exp overflows where their values pass it by about 89: "
        "zeros (2, 16) with x[1, 15] = 100 give (-inf, -inf) for (-100, 0) at column 15 "
        "(columns 0-7 right, 8-15 wrong). A shift off by less leaves a rounding residue "
        "instead (log_softmax-half-single-element-nonzero is that case). 2.1.2 and 2.6.0, "
        "at the AVX2 and default kernel sets; 2.13.0 right. Found by the forward property "
        "on 2.6.0 (a (2, 3, 6) input over dim 0: -inf for -360)"
    ),
    upstream="not filed (not reproduced on 2.13.0)",
)

ENTRIES = (HALF_SINGLE_ELEMENT, HALF_UPPER_LANES_WRONG_MAX)
