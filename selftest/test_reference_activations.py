"""reference.activations against finite differences, hand values and properties; no torch here."""

import math

import numpy as np
import pytest
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.activations import (
    gelu_forward,
    gelu_vjp,
    leaky_relu_forward,
    leaky_relu_vjp,
    log_softmax_forward,
    log_softmax_vjp,
    relu_forward,
    relu_vjp,
    sigmoid_forward,
    sigmoid_vjp,
    softmax_forward,
    softmax_implicit_dim,
    softmax_vjp,
    tanh_forward,
    tanh_vjp,
)
from selftest.finite_differences import STEP, assert_vjp_matches_finite_differences

# Finite differences need moderate inputs: their rounding error grows with |f| / STEP.
FD_MAGNITUDE = 20.0
# The whole domain the forward must survive without overflow: exp-based maps see |x| up
# to ~1e3 in the conformance strategies.
DOMAIN_MAGNITUDE = 1e3
# A few ulps: identities between two float64 routes to one number differ by rounding only.
ULPS = 8 * 2.0**-52

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def floats(magnitude):
    return st.floats(-magnitude, magnitude, allow_nan=False)


@st.composite
def arrays_and_grads(draw, magnitude=FD_MAGNITUDE):
    """(x, grad_y) of one small shape, x within +-magnitude."""
    shape = draw(SHAPES, label="shape")
    x = draw(hnp.arrays(np.float64, shape, elements=floats(magnitude)), label="x")
    grad_y = draw(hnp.arrays(np.float64, shape, elements=floats(2.0)), label="grad_y")
    return x, grad_y


@st.composite
def away_from_kink(draw):
    """(x, grad_y) with every |x| > 1000 * STEP, so a central difference never straddles 0."""
    shape = draw(SHAPES, label="shape")
    magnitudes = hnp.arrays(np.float64, shape, elements=st.floats(1000 * STEP, FD_MAGNITUDE))
    signs = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    x = draw(magnitudes, label="|x|") * draw(signs, label="sign")
    grad_y = draw(hnp.arrays(np.float64, shape, elements=floats(2.0)), label="grad_y")
    return x, grad_y


@st.composite
def softmax_cases(draw, magnitude=FD_MAGNITUDE):
    """(x, dim, grad_y) with dim any valid index, negative ones included."""
    x, grad_y = draw(arrays_and_grads(magnitude))
    rank = max(x.ndim, 1)
    dim = draw(st.integers(-rank, rank - 1), label="dim")
    note(f"x shape {x.shape}, dim {dim}")
    return x, dim, grad_y


# --- VJPs against central differences ----------------------------------------------------


@given(away_from_kink())
def test_relu_vjp_matches_finite_differences(case):
    x, grad_y = case
    assert_vjp_matches_finite_differences(relu_forward, x, grad_y, relu_vjp(x, grad_y)["input"])


@given(arrays_and_grads())
def test_sigmoid_vjp_matches_finite_differences(case):
    x, grad_y = case
    analytic = sigmoid_vjp(x, grad_y)["input"]
    assert_vjp_matches_finite_differences(sigmoid_forward, x, grad_y, analytic)


@given(arrays_and_grads())
def test_tanh_vjp_matches_finite_differences(case):
    x, grad_y = case
    assert_vjp_matches_finite_differences(tanh_forward, x, grad_y, tanh_vjp(x, grad_y)["input"])


@given(softmax_cases())
def test_softmax_vjp_matches_finite_differences(case):
    x, dim, grad_y = case
    assert_vjp_matches_finite_differences(
        lambda x_: softmax_forward(x_, dim), x, grad_y, softmax_vjp(x, dim, grad_y)["input"]
    )


# --- hand-computed values ----------------------------------------------------------------


def test_relu_by_hand():
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan])
    y = relu_forward(x)
    np.testing.assert_array_equal(y, [0.0, 0.0, 0.0, 3.0, np.nan])
    # torch keeps the sign of a negative zero.
    assert np.signbit(y[1])
    # The subgradient at exactly 0 is 0, of either sign; a NaN passes its gradient on.
    np.testing.assert_array_equal(relu_vjp(x, np.full(5, 7.0))["input"], [0, 0, 0, 7, 7])


def test_sigmoid_by_hand():
    # sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4; sigmoid'(0) = 1/4.
    np.testing.assert_array_equal(sigmoid_forward(np.array([0.0])), [0.5])
    np.testing.assert_allclose(sigmoid_forward(np.log(3.0)), 0.75, rtol=ULPS)
    np.testing.assert_allclose(sigmoid_forward(-np.log(3.0)), 0.25, rtol=ULPS)
    np.testing.assert_array_equal(sigmoid_vjp(np.array([0.0]), np.array([1.0]))["input"], [0.25])


def test_tanh_by_hand():
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5; tanh'(ln 2) = 1 - 9/25 = 16/25.
    np.testing.assert_array_equal(tanh_forward(np.array([0.0])), [0.0])
    np.testing.assert_allclose(tanh_forward(np.log(2.0)), 0.6, rtol=ULPS)
    np.testing.assert_allclose(tanh_vjp(np.log(2.0), 1.0)["input"], 0.64, rtol=ULPS)


def test_softmax_by_hand():
    np.testing.assert_allclose(softmax_forward(np.array([0.0, math.log(2.0)]), 0), [1 / 3, 2 / 3])
    np.testing.assert_array_equal(softmax_forward(np.full((2, 4), 5.0), 1), np.full((2, 4), 0.25))
    # A 0-d input is its own one-element softmax.
    assert softmax_forward(np.array(3.0), -1) == 1.0
    # exp(-inf) is an exact 0 weight.
    np.testing.assert_array_equal(softmax_forward(np.array([-np.inf, 0.0]), 0), [0.0, 1.0])


@pytest.mark.parametrize(("ndim", "dim"), [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1), (5, 1)])
def test_softmax_implicit_dim_follows_torch_legacy_rule(ndim, dim):
    assert softmax_implicit_dim(ndim) == dim


def test_softmax_rejects_a_dim_out_of_range():
    with pytest.raises(IndexError):
        softmax_forward(np.zeros((2, 3)), 2)


# --- properties --------------------------------------------------------------------------


@given(softmax_cases(DOMAIN_MAGNITUDE))
def test_softmax_sums_to_one_and_ignores_a_shift(case):
    x, dim, _ = case
    with np.errstate(all="raise"):
        s = softmax_forward(x, dim)
        shifted = softmax_forward(x + 7.5, dim)
    axis = dim % max(x.ndim, 1) if x.ndim else None
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(np.sum(s, axis=axis), 1.0, rtol=0, atol=8 * ULPS * s.size)
    np.testing.assert_allclose(shifted, s, rtol=1e-12, atol=1e-300)


@given(softmax_cases())
def test_softmax_negative_dim_is_the_same_axis(case):
    x, dim, _ = case
    rank = max(x.ndim, 1)
    other = dim - rank if dim >= 0 else dim + rank
    np.testing.assert_array_equal(softmax_forward(x, dim), softmax_forward(x, other))


@given(softmax_cases())
def test_softmax_vjp_of_a_constant_cotangent_is_zero(case):
    # softmax sums to 1 along dim, so a cotangent constant along dim has no effect.
    x, dim, _ = case
    grad = softmax_vjp(x, dim, np.full(x.shape, 3.0))["input"]
    np.testing.assert_allclose(grad, 0.0, atol=1e-14)


@given(arrays_and_grads(DOMAIN_MAGNITUDE))
def test_sigmoid_stays_in_unit_interval_without_overflow(case):
    x, grad_y = case
    with np.errstate(all="raise"):
        s = sigmoid_forward(x)
        mirrored = sigmoid_forward(-x)
        grad = sigmoid_vjp(x, grad_y)["input"]
    assert np.all((s >= 0) & (s <= 1))
    # sigmoid(-x) = 1 - sigmoid(x); checked on the larger half, which carries no cancellation.
    np.testing.assert_allclose(np.maximum(s, mirrored), 1 - np.minimum(s, mirrored), rtol=ULPS)
    assert np.all(np.isfinite(grad))


@given(arrays_and_grads(DOMAIN_MAGNITUDE))
def test_tanh_is_twice_sigmoid_of_twice_x_minus_one(case):
    x, grad_y = case
    with np.errstate(all="raise"):
        t = tanh_forward(x)
        grad = tanh_vjp(x, grad_y)["input"]
    np.testing.assert_allclose(t, 2 * sigmoid_forward(2 * x) - 1, rtol=0, atol=4 * ULPS)
    assert np.all(np.abs(t) <= 1) and np.all(np.isfinite(grad))


def test_exp_based_maps_survive_the_domain_ends():
    x = np.array([-DOMAIN_MAGNITUDE, -745.0, -40.0, 40.0, 745.0, DOMAIN_MAGNITUDE])
    with np.errstate(all="raise"):
        s = sigmoid_forward(x)
        grads = [f(x, np.ones_like(x))["input"] for f in (sigmoid_vjp, tanh_vjp)]
        softmax_forward(x, 0)
    np.testing.assert_array_equal(s[[0, -1]], [0.0, 1.0])
    # The derivative keeps its relative accuracy where 1 - s would cancel: e^-40 / (1+e^-40)^2.
    np.testing.assert_allclose(grads[0][3], math.exp(-40) / (1 + math.exp(-40)) ** 2, rtol=ULPS)
    np.testing.assert_allclose(grads[1][3], 4 * math.exp(-80), rtol=ULPS)


# --- LeakyReLU, GELU, LogSoftmax ---------------------------------------------------------

SLOPES = st.one_of(st.sampled_from([0.0, 0.01, 1.0, -0.5, 3.0]), st.floats(-8.0, 8.0))


@given(away_from_kink(), SLOPES)
def test_leaky_relu_vjp_matches_finite_differences(case, slope):
    x, grad_y = case
    analytic = leaky_relu_vjp(x, grad_y, slope)["input"]
    assert_vjp_matches_finite_differences(
        lambda x_: leaky_relu_forward(x_, slope), x, grad_y, analytic
    )


def test_leaky_relu_by_hand():
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan])
    np.testing.assert_array_equal(leaky_relu_forward(x, 0.5), [-1.0, 0.0, 0.0, 3.0, np.nan])
    np.testing.assert_array_equal(leaky_relu_forward(x, -0.5), [1.0, 0.0, 0.0, 3.0, np.nan])
    # The default slope is torch's 0.01; a slope above 1 steepens the negative side.
    np.testing.assert_array_equal(leaky_relu_forward(np.array([-100.0])), [-1.0])
    np.testing.assert_array_equal(leaky_relu_forward(np.array([-2.0, 2.0]), 3.0), [-6.0, 2.0])
    # The sign of zero follows the product: -0.0 * 0.5 = -0.0, -0.0 * -0.5 = +0.0.
    assert np.signbit(leaky_relu_forward(x, 0.5)[1])
    assert not np.signbit(leaky_relu_forward(x, -0.5)[1])
    # At exactly 0 (and at NaN) the gradient takes the slope, as torch's kernel does.
    grads = leaky_relu_vjp(x, np.full(5, 4.0), 0.5)["input"]
    np.testing.assert_array_equal(grads, [2.0, 2.0, 2.0, 4.0, 2.0])


@given(arrays_and_grads())
def test_leaky_relu_with_slope_zero_is_relu_on_values(case):
    x, _ = case
    np.testing.assert_array_equal(leaky_relu_forward(x, 0.0), relu_forward(x))


APPROXIMATIONS = st.sampled_from(["none", "tanh"])


@given(arrays_and_grads(), APPROXIMATIONS)
def test_gelu_vjp_matches_finite_differences(case, approximate):
    x, grad_y = case
    analytic = gelu_vjp(x, grad_y, approximate)["input"]
    assert_vjp_matches_finite_differences(
        lambda x_: gelu_forward(x_, approximate), x, grad_y, analytic
    )


def test_gelu_by_hand():
    for approximate in ("none", "tanh"):
        np.testing.assert_array_equal(gelu_forward(np.array([0.0]), approximate), [0.0])
        grad = gelu_vjp(np.array([0.0]), np.array([6.0]), approximate)["input"]
        np.testing.assert_array_equal(grad, [3.0])
    # Phi(1) = 0.841344746068542948585232545632... (erfc(-1/sqrt 2) / 2).
    np.testing.assert_allclose(gelu_forward(np.array(1.0)), 0.8413447460685429, rtol=ULPS)
    # The tanh form at 1: u = sqrt(2/pi) * 1.044715, (1 + tanh(u)) / 2 = 0.841191990608...
    np.testing.assert_allclose(
        gelu_forward(np.array(1.0), "tanh"), 0.8411919906082768, rtol=4 * ULPS
    )
    # x Phi(x) at -10: Phi(-10) = 7.619853024160527e-24; no cancellation to 0.
    np.testing.assert_allclose(gelu_forward(np.array(-10.0)), -7.619853024160527e-23, rtol=1e-12)


@given(arrays_and_grads(DOMAIN_MAGNITUDE), APPROXIMATIONS)
def test_gelu_is_x_minus_gelu_of_minus_x(case, approximate):
    # Phi(x) + Phi(-x) = 1 (and the tanh form's 1 + tanh(u) + 1 + tanh(-u) = 2): the two
    # branches of GELU differ by x itself.
    x, grad_y = case
    with np.errstate(all="raise"):
        y, mirrored = gelu_forward(x, approximate), gelu_forward(-x, approximate)
        grad = gelu_vjp(x, grad_y, approximate)["input"]
    np.testing.assert_allclose(y - mirrored, x, rtol=4 * ULPS, atol=4 * ULPS)
    assert np.all(np.isfinite(grad))


@given(arrays_and_grads())
def test_gelu_tanh_form_is_close_to_the_erf_form(case):
    # The approximation's largest absolute error is about 4.7e-4 (near |x| = 2).
    x, _ = case
    np.testing.assert_allclose(gelu_forward(x, "tanh"), gelu_forward(x), atol=5e-4)


@given(softmax_cases())
def test_log_softmax_vjp_matches_finite_differences(case):
    x, dim, grad_y = case
    assert_vjp_matches_finite_differences(
        lambda x_: log_softmax_forward(x_, dim), x, grad_y, log_softmax_vjp(x, dim, grad_y)["input"]
    )


def test_log_softmax_by_hand():
    y = log_softmax_forward(np.array([0.0, math.log(3.0)]), 0)
    np.testing.assert_allclose(y, [math.log(0.25), math.log(0.75)], rtol=ULPS)
    # One element along dim: log(1) = 0 whatever the value, and the gradient g - g = 0.
    np.testing.assert_array_equal(log_softmax_forward(np.array([[7.5], [-3.0]]), 1), [[0], [0]])
    np.testing.assert_array_equal(
        log_softmax_vjp(np.array([[7.5]]), 1, np.array([[2.0]]))["input"], [[0.0]]
    )
    # A gap far beyond exp's range: softmax underflows to 0, its log does not.
    np.testing.assert_array_equal(log_softmax_forward(np.array([0.0, -1000.0]), 0), [0, -1000])


@given(softmax_cases(DOMAIN_MAGNITUDE))
def test_log_softmax_is_the_log_of_softmax(case):
    x, dim, _ = case
    with np.errstate(all="raise"):
        y = log_softmax_forward(x, dim)
    s = softmax_forward(x, dim)
    axis = dim % max(x.ndim, 1) if x.ndim else None
    # exp(y) is softmax exactly where it does not underflow; log(softmax) where s > 0.
    np.testing.assert_allclose(np.exp(y), s, rtol=1e-12, atol=1e-300)
    normal = s > 1e-300
    np.testing.assert_allclose(y[normal], np.log(s[normal]), rtol=1e-12, atol=1e-12)
    assert np.all(y <= 0)
    np.testing.assert_allclose(np.sum(np.exp(y), axis=axis), 1.0, atol=8 * ULPS * max(1, x.size))


@given(softmax_cases())
def test_log_softmax_vjp_sums_to_zero_along_dim(case):
    # The outputs' exponentials sum to 1 whatever x, so a shift of x along dim changes no
    # output: the gradient has no component along (1, ..., 1).
    x, dim, grad_y = case
    grad = log_softmax_vjp(x, dim, grad_y)["input"]
    axis = dim % max(x.ndim, 1) if x.ndim else None
    np.testing.assert_allclose(np.sum(grad, axis=axis), 0.0, atol=1e-12)
