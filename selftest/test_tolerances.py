"""The tolerance table's rows: their bound where sums stay in range and where they may not."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from spec.arguments import TensorValue
from spec.dtypes import DTYPES, format_of
from spec.inputs import Inputs
from spec.registry import layer_named
from spec.tolerances import tolerance_for
from tests.assertions import assert_matches_reference, tolerance_bound


@pytest.mark.parametrize("dtype_name", DTYPES)
def test_a_sum_that_may_overflow_allows_any_value(dtype_name):
    """Past the accumulator's largest value the bound is infinite, below it finite."""
    row = tolerance_for(dtype_name)
    accumulator = 2 * row.accumulator_largest
    assert np.isinf(row.bound(np.array([accumulator]), 4)).all()
    assert np.isfinite(row.bound(np.array([row.accumulator_largest]), 4)).all()
    # The half types accumulate in float32, whose range covers theirs.
    assert row.accumulator_largest >= format_of(dtype_name).largest


def test_an_exact_zero_whose_partial_sums_overflow_may_come_back_non_finite():
    """[2e38, 2e38, -2e38, -2e38] sums to 0, yet torch's float32 sum gives inf (and its
    bfloat16 sums, accumulated in float32, inf or inf - inf = NaN). Its absolute scale,
    8e38, passes float32's largest value: the row accepts that."""
    got = float(torch.tensor([2e38, 2e38, -2e38, -2e38]).sum())
    assert not np.isfinite(got)
    case = SimpleNamespace(
        dtype="float32", spec=SimpleNamespace(name="sum"), describe=lambda: "a float32 sum"
    )
    bound = tolerance_for("float32").bound(np.array([8e38]), 4)
    assert_matches_reference(np.array([got]), np.zeros(1), bound, what="sum", case=case)


# The two hand cases of losses that materialise per-position values in float16 before
# their sum (read off torch 2.13.0 and checked by hand): each term rounds to a multiple of
# 2^-24, absolute, and the mean divides that error by the total weight or the count.
SUBNORMAL = 2.0**-24
NLL_WEIGHT = float(np.float16(0.0697609196201129))


@pytest.mark.parametrize(
    ("layer_name", "inputs", "expected", "torch_value"),
    [
        # w * x = 7.46 subnormals rounds to 7; 7 / w = 100.3 rounds to 100, not 107.
        pytest.param(
            "NLLLoss",
            Inputs(
                x=np.array([107 * SUBNORMAL]),
                hp={"weight": np.array([NLL_WEIGHT])},
                buffers={"weight": np.array([NLL_WEIGHT])},
                arguments=(np.array(0),),
            ),
            -107 * SUBNORMAL,
            -100 * SUBNORMAL,
            id="nll-mean-divides-by-a-small-weight",
        ),
        # four squares of 3 * 2^-13 (2.25 subnormals each) round to 2: the sum is 8, not 9.
        pytest.param(
            "MSELoss",
            Inputs(
                x=np.full(4, 3 * 2.0**-13),
                hp={"reduction": "sum"},
                arguments=(np.zeros(4),),
            ),
            9 * SUBNORMAL,
            8 * SUBNORMAL,
            id="mse-sum-of-subnormal-squares",
        ),
    ],
)
def test_a_loss_bound_admits_its_terms_rounded_into_float16_subnormals(
    layer_name, inputs, expected, torch_value
):
    """The bound holds: NLLLoss's error uses 0.55 of it, MSELoss's 0.16 (the floor of four
    subnormals dominates there). Without the rounded terms' floor scale, NLLLoss's case
    failed CI: 1.75 floors off against a bound of 1.42."""
    spec = layer_named(layer_name)
    assert spec.forward(inputs)[0] == pytest.approx(expected, rel=1e-12)
    scale = spec.forward_error(inputs)
    error = abs(torch_value - expected)
    assert error <= float(tolerance_bound("float16", scale))
    if layer_name == "NLLLoss":
        assert error > float(tolerance_bound("float16", scale[:2]))


# Losses of size 2^126 (a square of 2^63): one fits float32 and bfloat16, a sum of four
# of them passes both ranges, their mean fits.
HUGE = 2.0**63


@pytest.mark.parametrize(
    ("layer_name", "inputs"),
    [
        pytest.param(
            "MSELoss",
            Inputs(x=np.full(4, HUGE), hp={"reduction": "mean"}, arguments=(np.zeros(4),)),
            id="mse-mean",
        ),
        pytest.param(
            "NLLLoss",
            Inputs(x=np.full((4, 2), -(HUGE**2)), hp={}, arguments=(np.zeros(4, int),)),
            id="nll-mean",
        ),
        pytest.param(
            "CrossEntropyLoss",
            Inputs(x=np.tile([0.0, HUGE**2], (4, 1)), hp={}, arguments=(np.zeros(4, int),)),
            id="cross-entropy-mean",
        ),
    ],
)
def test_a_mean_whose_sum_passes_the_accumulator_may_overflow(layer_name, inputs):
    """torch's float32 MSELoss mean of four squares of 2^126 is inf, whose sum 2^128 passes
    float32's largest value though the mean fits: the bound reads the sum, not the mean
    (a bfloat16 training step met it, at seed 201). Below float32's range, float16's means
    stay judged: their sums accumulate in float32."""
    spec = layer_named(layer_name)
    assert spec.forward(inputs)[0] == pytest.approx(HUGE**2, rel=1e-12)
    scale = spec.forward_error(inputs)
    for dtype in ("float32", "bfloat16"):
        assert np.isinf(tolerance_bound(dtype, scale)).all(), dtype
    torch_mean = torch.nn.MSELoss()(torch.full((4,), HUGE), torch.zeros(4))
    assert torch.isinf(torch_mean)
    small = Inputs(x=np.full(4, 200.0), hp={"reduction": "mean"}, arguments=(np.zeros(4),))
    assert np.isfinite(tolerance_bound("float16", layer_named("MSELoss").forward_error(small)))


def test_a_loss_gradient_bound_admits_an_intermediate_rounded_into_float16_subnormals():
    """The CI case of 2026-12-04 (torch 2.13.0, read off torch and checked by hand): float16
    MSELoss backward forms 2/4 * (x - t) = -2.5 subnormals, rounded to -2, then multiplies
    by g = -8.546875: 17 subnormals against 21.37. The error uses 0.53 of the bound; without
    the carried rounding it passed the bound (1.05 of it)."""
    x = np.array([[-5 * SUBNORMAL, 20 * SUBNORMAL], [-109 * SUBNORMAL, 161 * SUBNORMAL]])
    inputs = Inputs(
        x=x,
        hp={},
        arguments=(np.array([[0.0, 0.0], [1.0, 2.0]]),),
        grad_y=np.array(-8.546875),
    )
    spec = layer_named("MSELoss")
    expected = spec.vjp(inputs)["input"][0, 0]
    assert expected == pytest.approx(0.5 * -5 * SUBNORMAL * -8.546875, rel=1e-12)
    torch_x = torch.tensor(x, dtype=torch.float16, requires_grad=True)
    loss = torch.nn.MSELoss()(torch_x, torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=torch.float16))
    loss.backward(torch.tensor(-8.546875, dtype=torch.float16))
    error = abs(torch_x.grad[0, 0].item() - expected)
    assert error == pytest.approx(abs(17 * SUBNORMAL - expected), rel=1e-12)
    scale = spec.vjp_error(inputs)["input"]
    assert error <= tolerance_bound("float16", scale)[0, 0]
    assert error > tolerance_bound("float16", scale[:2])[0, 0]


def test_a_smoothed_cross_entropy_gradient_bound_admits_its_composite_s_subnormal_roundings():
    """The CI case of 2026-12-07 (torch 2.13.0, read off torch and checked by hand): float16
    CrossEntropyLoss with label smoothing is a composite whose backward forms grad_y * e / C
    in float16, 3.34 subnormals rounded to 3, then divides by the total weight 0.00314: the
    input gradient is 4.62e-5 against 5.19e-5, 24 floors. The error uses 0.47 of the bound;
    without the carried rounding it passed the bound (1.51 of it)."""
    weight = [2.0, 0.0031372439263255064]  # both float16 values
    hp = {"weight": TensorValue.of(weight), "label_smoothing": 0.0625}
    x = np.array([0.125732421875, -0.132080078125])
    grad_y = np.array(107 * SUBNORMAL)
    inputs = Inputs(x=x, hp=hp, arguments=(np.array(1),), grad_y=grad_y)
    spec = layer_named("CrossEntropyLoss")
    expected = spec.vjp(inputs)["input"]
    loss_module = torch.nn.CrossEntropyLoss(torch.tensor(weight), label_smoothing=0.0625).half()
    torch_x = torch.tensor(x, dtype=torch.float16, requires_grad=True)
    loss_module(torch_x, torch.tensor(1)).backward(torch.tensor(grad_y, dtype=torch.float16))
    error = np.abs(torch_x.grad.double().numpy() - expected)
    assert error[1] == pytest.approx(5.64e-6, rel=1e-2)
    scale, k, floor_scale = spec.vjp_error(inputs)["input"]
    assert np.all(error <= tolerance_bound("float16", (scale, k, floor_scale)))
    assert np.any(error > tolerance_bound("float16", (scale, k)))


def test_a_cross_entropy_gradient_bound_admits_probability_targets_grad_y_over_n_rounded():
    """The probability-target path of the same floor, met by hand (torch 2.13.0): the mean
    divides grad_y by N in float16 first, so 3 subnormals over N = 2 round (to even) to 2,
    and every element of the input gradient is 4/3 of the math (emulating that rounding in
    float64 gives torch's values to its last rounding). Weights drawn by the suite stay
    within 4, where this rounding hides under the bound anyway; a class weight of 2048
    carries it past the bound without the floor (4.07 of it), within it with the floor
    (0.80)."""
    weight = [2048.0, 1.0]
    x = np.array([[0.0, 0.0], [0.5, -0.5]])
    target = np.array([[1.0, 0.0], [0.5, 0.5]])
    grad_y = np.array(3 * SUBNORMAL)
    inputs = Inputs(x=x, hp={"weight": TensorValue.of(weight)}, arguments=(target,), grad_y=grad_y)
    spec = layer_named("CrossEntropyLoss")
    expected = spec.vjp(inputs)["input"]
    loss_module = torch.nn.CrossEntropyLoss(torch.tensor(weight)).half()
    torch_x = torch.tensor(x, dtype=torch.float16, requires_grad=True)
    loss_module(torch_x, torch.tensor(target, dtype=torch.float16)).backward(
        torch.tensor(grad_y, dtype=torch.float16)
    )
    assert torch_x.grad.double().numpy() == pytest.approx(expected * 4 / 3, rel=1e-3)
    error = np.abs(torch_x.grad.double().numpy() - expected)
    scale, k, floor_scale = spec.vjp_error(inputs)["input"]
    assert np.all(error <= tolerance_bound("float16", (scale, k, floor_scale)))
    assert np.any(error > tolerance_bound("float16", (scale, k)))
