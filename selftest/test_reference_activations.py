"""reference.activations against finite differences, hand values and properties; no torch here."""

import math

import numpy as np
import pytest
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.activations import (
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
