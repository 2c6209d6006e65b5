"""LayerNorm's known torch failures."""

from __future__ import annotations

import numpy as np
import torch

from tests.known_failures.entry import Check, KnownFailure, Observed, Where, constant_over
from tests.known_failures.layers.batch_norm2d import (
    eps_not_float32,
    inverse_std_overflows,
    tiny_eps,
)
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "LayerNorm"
# The kernels that fuse x * rstd - mean * rstd (AVX2, AVX-512 and AMX's AVX-512 ATen).
FMA_KERNEL_SETS = ("avx2", "avx512", "amx")


def _normalized_dims(where: Where) -> int:
    """How many trailing dims of the input the layer normalizes over."""
    shape = where.arguments["normalized_shape"]
    return 1 if isinstance(shape, int) else len(shape)


def _row_past_float16_rstd(where: Where) -> bool:
    """A tiny eps and a row whose variance + eps is below FLOAT16_INVSTD_LIMIT (a constant
    row, a single normalized element, or values among float16's subnormals), so that its
    1/std is past float16's largest value. An unknown input: every tiny eps."""
    if not tiny_eps(where):
        return False
    x = where.x
    if x is None:
        return True
    rows = tuple(range(x.ndim - _normalized_dims(where), x.ndim))
    return inverse_std_overflows(x, rows, where.arguments["eps"])


def float16_rstd_overflow(path: str) -> None:
    ln = torch.nn.LayerNorm(1, eps=1e-10, elementwise_affine=False).half()
    x = torch.tensor([0.125], dtype=torch.float16, requires_grad=True)
    on_path(path, ln)(x).backward(torch.tensor([0.125], dtype=torch.float16))
    # The output is constantly 0 in x: the gradient is exactly 0.
    assert x.grad.item() == 0.0, x.grad


FLOAT16_RSTD_OVERFLOW = KnownFailure(
    id="layer_norm-float16-rstd-overflow",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_row_past_float16_rstd,
    paths=running_kernels("aten"),
    # First found by the gradients property; its exact cases (constant rows, tiny eps)
    # meet it at once, now that the float16 forward entry leaves their gradients judged.
    found_by="exact",
    # The output stays right: its exact cases judge it on constant rows.
    quantities=("input", "weight"),
    repro=float16_rstd_overflow,
    observed=Observed(since="2.6.0"),
    summary=(
        "CPU float16 LayerNorm backward returns NaN when var + eps < 65504**-2 (e.g. a "
        "constant row or a single normalized element): the saved 1/std is float16 and "
        "overflows, where the true gradient is finite (0 for a single element). Rows whose "
        "variance keeps 1/std finite are right: a scan of 108 inputs (9 normalized "
        "shapes, 3 leading shapes, constant, subnormal, near-constant and normal values) "
        "under the default, AVX2 and AVX-512 kernel sets and on each path of the entry, on "
        "torch 2.13.0 and 2.6.0 (on eager, 2.14.1 too)"
    ),
    upstream="related: https://github.com/pytorch/pytorch/issues/41527",
)


def _row_of_several_past_float16_rstd(where: Where) -> bool:
    """A row past float16's 1/std (`_row_past_float16_rstd`) over more than one normalized
    element: a single element was right on both inductor paths."""
    shape = where.arguments["normalized_shape"]
    size = shape if isinstance(shape, int) else int(np.prod(shape))
    return size > 1 and _row_past_float16_rstd(where)


def inductor_float16_tiny_eps_backward(path: str) -> None:
    ln = torch.nn.LayerNorm(4, eps=1e-10).half()
    x = torch.full((2, 4), 3.0, dtype=torch.float16, requires_grad=True)
    on_path(path, ln)(x).backward(torch.full((2, 4), 0.5, dtype=torch.float16))
    # Constant rows: the output is the bias whatever x is, so the input gradient is 0.
    assert torch.equal(x.grad, torch.zeros_like(x)), x.grad.flatten().tolist()


INDUCTOR_FLOAT16_TINY_EPS_BACKWARD = KnownFailure(
    id="layer_norm-inductor-float16-tiny-eps-backward",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_row_of_several_past_float16_rstd,
    paths=running_kernels("inductor"),
    found_by="exact",
    # The output is right (the bias, on constant rows).
    quantities=("input", "weight"),
    repro=inductor_float16_tiny_eps_backward,
    # Measured on 2.6.0 and 2.13.0; 2.1.2 has no float16 LayerNorm on CPU.
    observed=Observed(since="2.6.0"),
    summary=(
        "float16 LayerNorm on compile:inductor with eps < 65504**-2 (1e-10): constant rows "
        "get NaN input and weight gradients where both are exactly 0; inductor's own "
        "fused backward kernel, not eager's (layer_norm-float16-rstd-overflow). A scan of "
        "144 inputs (12 normalized shapes of 1 to 64 elements, 3 leading shapes; "
        "constant, subnormal, near-constant and normal values) on both inductor paths, "
        "torch 2.13.0, and on compile:inductor under the AVX-512, AVX2 and default "
        "kernel sets (inductor vectorises for the set) and on torch 2.14.1, the same "
        "cases each time, and on both paths on torch 2.6.0 (fewer: rows of (2, 3) right "
        "there): wrong only "
        "where a row's var + eps is below the limit "
        "(constant or subnormal rows), never for a single element; which lengths are "
        "wrong depends on the row count (a single row of 4 to 6 elements is right, three "
        "are not; rows of 2, 3 and 8 were right). Found by the exact case 'constant "
        "rows, tiny eps'"
    ),
    upstream="not filed (no upstream issue found)",
)


def _constant_row(where: Where) -> bool:
    dims = _normalized_dims(where)
    x = where.x
    return x is not None and constant_over(x, tuple(range(x.ndim - dims, x.ndim)))


def _constant_row_with_weight(where: Where) -> bool:
    return where.arguments["elementwise_affine"] and _constant_row(where)


def weight_grad_of_constant_rows(path: str) -> None:
    for dtype, size, eps in ((torch.float32, 4, 1e-3), (torch.float64, 1, 0.1)):
        ln = torch.nn.LayerNorm(size, eps=eps).to(dtype)
        x = torch.full((2, size), 7.0, dtype=dtype, requires_grad=True)
        on_path(path, ln)(x).backward(torch.full((2, size), 2.0, dtype=dtype))
        # A constant row normalises to exactly 0 whatever the weight: the weight gradient
        # sum(g * x_hat) is exactly 0. torch sums g * (rstd * x - rstd * mean), fused.
        assert torch.equal(ln.weight.grad, torch.zeros_like(ln.weight)), (dtype, ln.weight.grad)


WEIGHT_GRAD_OF_CONSTANT_ROWS = KnownFailure(
    id="layer_norm-weight-grad-of-constant-rows",
    layer=LAYER,
    breaks=Check.EXACT,
    dtypes=("float32", "float64"),
    kernel_sets=FMA_KERNEL_SETS,
    covers=_constant_row_with_weight,
    quantities=("weight",),
    paths=running_kernels("aten"),
    repro=weight_grad_of_constant_rows,
    observed=Observed(since="2.13.0", kernel_sets=FMA_KERNEL_SETS),
    summary=(
        "CPU LayerNorm backward gives a nonzero weight gradient for a constant row, "
        "whose normalised value is exactly 0 (the output does not depend on the "
        "weight): the vectorised kernel never centres x, it sums "
        "g * (rstd * x - rstd * mean) with fused multiply-adds, leaving the rounding "
        "residue of rstd * x. Found by the exact cases (constant rows of 2^k "
        "elements); exact with the default (non-FMA) kernels"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/188375 (open: weight.grad nonzero "
        "for normalized_shape=(1,))"
    ),
)


def half_forward_of_constant_rows(path: str) -> None:
    for dtype in (torch.bfloat16, torch.float16):
        ln = torch.nn.LayerNorm(4, eps=1e-3, elementwise_affine=False).to(dtype)
        y = on_path(path, ln)(torch.full((2, 4), 3.0, dtype=dtype))
        # x - mean is exactly 0 in a constant row: the output is exactly 0.
        assert torch.equal(y, torch.zeros_like(y)), (dtype, y)


HALF_FORWARD_OF_CONSTANT_ROWS = KnownFailure(
    id="layer_norm-half-forward-of-constant-rows",
    layer=LAYER,
    breaks=Check.EXACT,
    dtypes=("float16", "bfloat16"),
    kernel_sets=FMA_KERNEL_SETS,
    covers=_constant_row,
    # The backward reads the saved mean and 1/std, not the output: its gradients stay
    # judged on constant rows (where the float16 rstd overflow lives).
    quantities=("output",),
    paths=running_kernels("aten"),
    repro=half_forward_of_constant_rows,
    observed=Observed(since="2.6.0", kernel_sets=FMA_KERNEL_SETS),
    summary=(
        "CPU LayerNorm forward in float16 and bfloat16 does not give exactly 0 (the "
        "bias) for a constant row: the vectorised reduced-precision kernel computes "
        "x * rstd - mean * rstd with a fused multiply-add instead of (x - mean) * "
        "rstd. Found by the exact cases; exact with the default kernels"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/issues/108072 (the same form in "
        "float32, fixed in 2.2 by pull 108089; the half path kept it)"
    ),
)


def forward_of_constant_rows() -> None:
    for dtype, value in ((torch.float32, 6.0), (torch.float64, 9.0)):
        ln = torch.nn.LayerNorm(1, eps=1e-3, elementwise_affine=False).to(dtype)
        y = ln(torch.full((2, 1), value, dtype=dtype))
        # A row of one element is constant: x - mean is exactly 0, so the output is 0.
        assert torch.equal(y, torch.zeros_like(y)), (dtype, y.flatten())


FORWARD_OF_CONSTANT_ROWS = KnownFailure(
    id="layer_norm-forward-of-constant-rows",
    layer=LAYER,
    breaks=Check.EXACT,
    dtypes=("float32", "float64"),
    kernel_sets=FMA_KERNEL_SETS,
    releases="<2.2",
    covers=_constant_row,
    quantities=("output",),
    repro=forward_of_constant_rows,
    observed=Observed(since="2.1.2", kernel_sets=FMA_KERNEL_SETS),
    summary=(
        "CPU LayerNorm forward in float32 and float64 does not give exactly 0 (the bias) "
        "for a constant row: the vectorised kernel computes x * rstd - mean * rstd with a "
        "fused multiply-add instead of (x - mean) * rstd, leaving the rounding residue of "
        "x * rstd (-3.8e-6 for LayerNorm(1, eps=1e-3) at x = 6 in float32). Found by the "
        "exact cases on torch 2.1.2; exact with the default kernels and from 2.2 on"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/108072 (closed: fixed in 2.2 by pull 108089)"
    ),
)


def onnx_epsilon_float32() -> None:
    ln = torch.nn.LayerNorm(2, eps=0.1, elementwise_affine=False).double()
    y = on_path("onnxruntime", ln)(torch.tensor([[3.0, 5.0]], dtype=torch.float64))
    # Mean 4, variance 1: y = +-1 / sqrt(1 + eps), eps in float64.
    assert y[0, 1].item() == 1 / 1.1**0.5, f"onnxruntime {y.tolist()}, float64 {1 / 1.1**0.5!r}"


ONNX_EPSILON_FLOAT32 = KnownFailure(
    id="layer_norm-onnx-epsilon-float32",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float64",),
    paths=running_kernels("onnxruntime"),
    covers=eps_not_float32,
    repro=onnx_epsilon_float32,
    observed=Observed(since="2.13.0"),
    summary=(
        "A float64 LayerNorm exported to ONNX normalises with eps rounded to float32: "
        "LayerNormalization's epsilon is a 32-bit float attribute (as BatchNorm2d's)"
    ),
    upstream=(
        "by the ONNX spec (epsilon: float attribute); related: "
        "https://github.com/onnx/onnx/issues/1820 (closed: epsilon's float type)"
    ),
)


def eps_lost_in_float16(where: Where) -> bool:
    """An eps that float16 holds more than 1% off (below its normal range, 6.1e-5, the
    spacing of subnormals, 6e-8, is a large part of it; below 3e-8 it rounds to 0)."""
    eps = where.arguments["eps"]
    return abs(float(np.float16(eps)) - eps) > 0.01 * eps


def _leading_dims_lose_eps(where: Where) -> bool:
    """The leading-dim counts OpenVINO loses eps at: none before two or more normalized
    dims, or three or more (50 shapes by hand, 2026-12-07); every count where the input
    is not drawn yet."""
    if where.x is None:
        return True
    normalized = _normalized_dims(where)
    leading = where.x.ndim - normalized
    return (leading == 0 and normalized >= 2) or leading >= 3


def _openvino_loses_eps(where: Where) -> bool:
    return eps_lost_in_float16(where) and _leading_dims_lose_eps(where)


def openvino_float16_epsilon() -> None:
    ln = torch.nn.LayerNorm([2, 5], eps=1e-10, elementwise_affine=False).half()
    x = torch.tensor([[-5.2e-6, 7.5e-6, 7.3e-6, 6.9e-6, 2.4e-6]] * 2, dtype=torch.float64)
    x[1] = -x[1]
    y = on_path("compile:openvino", ln)(x.half()).double()
    # Mean 0 by symmetry, var = mean(x^2) = 3.8e-11: x / sqrt(var + 1e-10) = -0.4427 for
    # x = -5.2e-6 (eager: -0.4417); with eps = 0, x / sqrt(var) = -0.844.
    xh = x.half().double()
    exact = (xh - xh.mean()) / (xh.var(unbiased=False) + 1e-10).sqrt()
    assert torch.allclose(y, exact, rtol=1e-2, atol=1e-3), (y[0], exact[0])


OPENVINO_FLOAT16_EPSILON = KnownFailure(
    id="layer_norm-openvino-float16-epsilon",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_openvino_loses_eps,
    paths=running_kernels("openvino"),
    # The exact case "constant rows, tiny eps" holds it (eps 1e-10 over a variance of 0:
    # NaN) wherever its draw has leading dims that lose eps; the forward property draws
    # such rows rarely.
    found_by="exact",
    repro=openvino_float16_epsilon,
    observed=Observed(since="2.13.0"),
    summary=(
        "float16 LayerNorm compiled by torch.compile(backend='openvino') (openvino "
        "2026.4.1, f32 inference precision) normalises with eps rounded to float16: "
        "eps = 1e-10 becomes 0, so a row whose variance is near or below eps comes out "
        "scaled by sqrt((var + eps) / var) (normalized_shape [2, 5], values near 6e-6, "
        "variance 3.8e-11: -0.844 where the normalisation, and eager torch, give -0.442); "
        "as onnxruntime rounds a float64 eps to float32. It depends on the leading dims "
        "before the normalized ones: wrong with none before two or more normalized dims "
        "((2, 5) over [2, 5], (2, 2, 4) over [2, 2, 4]) and with three or more ((1, 1, 1, "
        "5) over [5], (2, 2, 2, 2, 8) over [2, 8]); right with one or two, and for a 1-D "
        "input (50 shapes by hand, 2026-12-07)"
    ),
    upstream="not filed (no upstream issue found)",
)


ENTRIES = (
    OPENVINO_FLOAT16_EPSILON,
    FLOAT16_RSTD_OVERFLOW,
    INDUCTOR_FLOAT16_TINY_EPS_BACKWARD,
    WEIGHT_GRAD_OF_CONSTANT_ROWS,
    HALF_FORWARD_OF_CONSTANT_ROWS,
    FORWARD_OF_CONSTANT_ROWS,
    ONNX_EPSILON_FLOAT32,
)
