"""reference.layer_norm against finite differences, hand values and properties; no torch here."""

import math

import numpy as np
import pytest
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.layer_norm import layer_norm_forward, layer_norm_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences, normalisation_atol

MAGNITUDE = 3.0
ELEMENTS = st.floats(-MAGNITUDE, MAGNITUDE, allow_nan=False, allow_subnormal=False)
# eps bounds 1 / sqrt(var + eps), hence the curvature central differences must resolve.
FD_EPS = st.sampled_from([1e-3, 1e-1, 1.0])
ULPS = 16 * 2.0**-52
DEFAULT_EPS = 1e-5


@st.composite
def layer_norm_cases(draw):
    """(x, normalized_shape, weight, bias, eps, grad_y): weight and bias each may be absent."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3), label="shape")
    count = draw(st.integers(1, len(shape)), label="normalized dims")
    normalized_shape = shape[len(shape) - count :]
    # LayerNorm(n) takes a bare int for one trailing dim.
    if count == 1 and draw(st.booleans(), label="as int"):
        normalized_shape = normalized_shape[0]
    x = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="x")
    params = hnp.arrays(np.float64, shape[len(shape) - count :], elements=ELEMENTS)
    weight = draw(st.none() | params, label="weight")
    # torch's bias=False keeps the weight; elementwise_affine=False drops both.
    bias = None if weight is None else draw(st.none() | params, label="bias")
    eps = draw(FD_EPS, label="eps")
    grad_y = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="grad_y")
    note(f"x {shape}, normalized_shape {normalized_shape}, eps {eps}")
    return x, normalized_shape, weight, bias, eps, grad_y


@given(layer_norm_cases())
def test_vjp_matches_finite_differences(case):
    x, normalized_shape, weight, bias, eps, grad_y = case

    def output(x_, weight_=weight, bias_=bias):
        return layer_norm_forward(x_, normalized_shape, weight_, bias_, eps)

    grads = layer_norm_vjp(x, normalized_shape, weight, bias, eps, grad_y)
    present = {"input"} | {k for k, v in (("weight", weight), ("bias", bias)) if v is not None}
    assert set(grads) == present
    normalized = tuple(range(x.ndim - np.atleast_1d(normalized_shape).size, x.ndim))
    variance = float(np.min(x.var(axis=normalized)))
    atol = normalisation_atol(x, weight, grad_y, variance, eps)
    assert_vjp_matches_finite_differences(output, x, grad_y, grads["input"], atol=atol)
    if weight is not None:
        assert_vjp_matches_finite_differences(
            lambda w_: output(x, weight_=w_), weight, grad_y, grads["weight"], atol=atol
        )
    if bias is not None:
        assert_vjp_matches_finite_differences(
            lambda b_: output(x, bias_=b_), bias, grad_y, grads["bias"], atol=atol
        )


def test_one_two_three_by_hand():
    # mean 2, biased var (1 + 0 + 1) / 3 = 2/3.
    y = layer_norm_forward(np.array([1.0, 2.0, 3.0]), 3, None, None, DEFAULT_EPS)
    expected = np.array([-1.0, 0.0, 1.0]) / math.sqrt(2 / 3 + DEFAULT_EPS)
    np.testing.assert_allclose(y, expected, rtol=ULPS, atol=ULPS)
    weight, bias = np.array([2.0, 5.0, -1.0]), np.array([0.5, 0.5, 0.5])
    affine = layer_norm_forward(np.array([1.0, 2.0, 3.0]), (3,), weight, bias, DEFAULT_EPS)
    np.testing.assert_allclose(affine, expected * weight + bias, rtol=ULPS, atol=ULPS)


def test_each_sample_is_normalised_on_its_own():
    # Rows with different offsets and spreads both map to (-1, 0, 1) / sqrt(2/3 + eps).
    x = np.array([[1.0, 2.0, 3.0], [-10.0, 0.0, 10.0]])
    y = layer_norm_forward(x, (3,), None, None, 0.0)
    np.testing.assert_allclose(y, np.tile([-1.0, 0.0, 1.0], (2, 1)) * math.sqrt(1.5), rtol=ULPS)


def test_normalized_shape_must_end_the_input_shape():
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm_forward(np.zeros((2, 3)), (2,), None, None, DEFAULT_EPS)


@given(layer_norm_cases())
def test_output_has_zero_mean_and_shrunk_unit_variance(case):
    x, normalized_shape, _, _, eps, _ = case
    y = layer_norm_forward(x, normalized_shape, None, None, eps)
    count = 1 if np.ndim(normalized_shape) == 0 else len(normalized_shape)
    axes = tuple(range(x.ndim - count, x.ndim))
    var = x.var(axis=axes)
    np.testing.assert_allclose(y.mean(axis=axes), 0.0, atol=1e-12)
    # Normalising by sqrt(var + eps) leaves a biased variance of var / (var + eps).
    np.testing.assert_allclose(y.var(axis=axes), var / (var + eps), rtol=1e-12, atol=1e-15)


@given(layer_norm_cases(), st.floats(-100, 100), st.floats(0.5, 2.0))
def test_invariant_to_shift_and_scale_of_a_sample(case, shift, scale):
    # With eps scaled along with the variance, normalisation forgets an affine change of x.
    x, normalized_shape, weight, bias, eps, _ = case
    y = layer_norm_forward(x, normalized_shape, weight, bias, eps)
    moved = layer_norm_forward(x * scale + shift, normalized_shape, weight, bias, eps * scale**2)
    np.testing.assert_allclose(moved, y, rtol=1e-9, atol=1e-9)
