"""LogSoftmax's known torch failures (and CrossEntropyLoss's over one class, which takes
the same kernel: tests/known_failures/layers/cross_entropy_loss.py)."""

from __future__ import annotations

import math

import torch

from spec.softmax_dim import axis_of
from tests import kernel_sets
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "LogSoftmax"
# The vectorised half-precision kernel over a dim that is not the last takes one vector of
# inner positions at a time and shifts its upper half by its lower half's max: 16 positions
# where ATen runs its default or AVX2 kernels, 32 where it runs AVX-512 ones (2.6.0,
# measured on each set of an AMD EPYC, 2026-12-04); below a full vector, a scalar loop.
HALF_LANES = 16
AVX512_HALF_LANES = 32
# The repros take the widest vector, a full one on every kernel set.
REPRO_LANES = AVX512_HALF_LANES
HALF = ("float16", "bfloat16")
# 16 values drawn by torch.manual_seed(0) (torch.randn, rounded to bfloat16), then the same
# reversed: over a size-1 dim a position or more of the 32 comes back nonzero on 2.6.0, on
# every kernel set (an upper lane shifted by a lower lane's max of the same value would not).
ROW = (
    -1.125, -1.15625, -0.25, -0.43359375, 0.84765625, 0.69140625, -0.31640625, -2.109375,
    0.322265625, -1.265625, 0.349609375, 0.30859375, 0.11962890625, 1.234375, 1.1171875,
    -0.2470703125,
)  # fmt: skip
ROW = ROW + ROW[::-1]


def one_element_along_dim(where: Where) -> bool:
    """The reduced dim has one element: the answer is exactly 0, x - x - log(exp(0))."""
    if where.x is None or where.x.ndim == 0:
        return False
    return where.x.shape[axis_of(dict(where.arguments), where.x.ndim)] == 1


def half_single_element_nonzero(path: str) -> None:
    x = torch.tensor(ROW, dtype=torch.bfloat16).reshape(1, 1, 4, 8)
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
    observed=Observed(since="2.1.2"),
    summary=(
        "CPU log_softmax in bfloat16 (and float16) over a dim of one element, not the last "
        "dim, is not exactly 0 at some positions: torch.log_softmax(x, 1) for a (1, 1, 4, 4) "
        "bfloat16 x gives 1.49e-8 at x = -1.265625 on the AVX2 set, where log_softmax of "
        "one element is x - x - log(exp(0)) = 0 for any algorithm; the residue of "
        "log_softmax-half-upper-lanes-wrong-max's shift, so on AVX-512 it takes 32 inner "
        "positions (the repro's (1, 1, 4, 8) fails on every set). Seen on 2.1.2 and 2.6.0 on "
        "every kernel set; 2.13.0 gives 0. Found by the modes property "
        "(LogSoftmax) and by CrossEntropyLoss over one class"
    ),
    upstream="not filed (not reproduced on 2.13.0)",
)


def inner_size(x_shape: tuple, axis: int) -> int:
    return math.prod(x_shape[axis + 1 :])


def half_lanes() -> int:
    """The inner positions of one vector on this process's kernel set."""
    aten = kernel_sets.KERNEL_SETS[kernel_sets.current()].aten
    return AVX512_HALF_LANES if aten == "avx512" else HALF_LANES


def full_half_vector_inside(where: Where) -> bool:
    """The reduced dim is not the last, and a full vector of 16 inner positions exists."""
    if where.x is None or where.x.ndim == 0:
        return False
    axis = axis_of(dict(where.arguments), where.x.ndim)
    return inner_size(where.x.shape, axis) >= half_lanes()


def half_upper_lanes_wrong_max(path: str) -> None:
    x = torch.zeros(2, REPRO_LANES, dtype=torch.bfloat16)
    x[1, -1] = 100.0
    y = on_path(path, torch.nn.LogSoftmax(dim=0))(x)
    # The last column is (0, 100): log_softmax is (-100, 0), finite, exact in bfloat16.
    assert y[:, -1].tolist() == [-100.0, 0.0], y[:, -1].tolist()


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
    observed=Observed(since="2.1.2"),
    summary=(
        "CPU log_softmax in bfloat16 and float16 over a dim that is not the last, with a "
        "full vector of inner positions (16 on the default and AVX2 sets, 32 on AVX-512): "
        "the upper half of each vector is shifted by the max of the lower half, not its "
        "own, so exp overflows where its values pass that by about 89: zeros (2, 16) with "
        "x[1, 15] = 100 give (-inf, -inf) for (-100, 0) at column 15 on AVX2 (columns 0-7 "
        "right, 8-15 wrong); AVX-512 needs (2, 32). A shift off by less leaves a rounding "
        "residue instead (log_softmax-half-single-element-nonzero is that case). Seen on "
        "2.1.2 and 2.6.0 on every kernel set (AVX-512 first met by a 2.6.0 run, "
        "CrossEntropyLoss over one class, NaN for 0); 2.13.0 right. Found by the forward "
        "property on 2.6.0 (a (2, 3, 6) input over dim 0: -inf for -360)"
    ),
    upstream="not filed (not reproduced on 2.13.0)",
)

ENTRIES = (HALF_SINGLE_ELEMENT, HALF_UPPER_LANES_WRONG_MAX)
