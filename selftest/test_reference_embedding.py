"""reference.embedding against a naive loop, finite differences and hand values."""

import math

import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from reference.embedding import embedding_forward, embedding_renorm, embedding_vjp, row_norms
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import embedding_naive, embedding_vjp_naive

ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)
NORM_TYPES = st.sampled_from([1.0, 2.0, 3.0, math.inf]) | st.floats(1.0, 4.0)


@st.composite
def embedding_cases(draw):
    """(indices, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, grad_y)."""
    rows = draw(st.integers(1, 5), label="num_embeddings")
    dim = draw(st.integers(1, 4), label="embedding_dim")
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), label="shape")
    # Few rows for many positions: rows repeat, and their gradients accumulate.
    indices = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, rows - 1)), label="x")
    weight = draw(hnp.arrays(np.float64, (rows, dim), elements=ELEMENTS), label="weight")
    padding_idx = draw(st.none() | st.integers(-rows, rows - 1), label="padding_idx")
    max_norm = draw(st.none() | st.floats(0.01, 5.0), label="max_norm")
    grad_y = draw(hnp.arrays(np.float64, (*shape, dim), elements=ELEMENTS), label="grad_y")
    norm_type, freq = draw(NORM_TYPES), draw(st.booleans(), label="scale_grad_by_freq")
    return indices, weight, padding_idx, max_norm, norm_type, freq, grad_y


@given(embedding_cases())
def test_embedding_matches_the_naive_loop(case):
    indices, weight, padding_idx, max_norm, norm_type, freq, grad_y = case
    y, after = embedding_forward(indices, weight, max_norm, norm_type)
    naive_y, naive_after = embedding_naive(indices, weight, max_norm, norm_type)
    np.testing.assert_allclose(y, naive_y, rtol=1e-13)
    np.testing.assert_allclose(after, naive_after, rtol=1e-13)
    grad = embedding_vjp(indices, len(weight), grad_y, padding_idx, freq)["weight"]
    expected = embedding_vjp_naive(indices, len(weight), grad_y, padding_idx, freq)
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-15)


@given(embedding_cases())
def test_embedding_vjp_matches_finite_differences(case):
    indices, weight, _, _, _, _, grad_y = case
    # Without max_norm (and without padding_idx or frequencies, which change what autograd
    # reports, not the map) the VJP is the derivative of the lookup.
    grads = embedding_vjp(indices, len(weight), grad_y)
    assert set(grads) == {"weight"}, "the indices have no gradient"
    assert_vjp_matches_finite_differences(
        lambda w_: embedding_forward(indices, w_)[0], weight, grad_y, grads["weight"]
    )


@given(embedding_cases())
def test_renormalised_rows_have_norm_max_norm(case):
    indices, weight, _, max_norm, norm_type, _, _ = case
    if max_norm is None:
        return
    after = embedding_renorm(indices, weight, max_norm, norm_type)
    looked_up = np.unique(indices)
    norms = row_norms(after[looked_up], norm_type)
    before = row_norms(weight[looked_up], norm_type)
    # A row above max_norm lands at max_norm * norm / (norm + 1e-7); the others are as
    # they were, and rows nobody looked up are never touched.
    over = before > max_norm
    np.testing.assert_allclose(norms[over], max_norm * before[over] / (before[over] + 1e-7))
    np.testing.assert_array_equal(after[looked_up][~over], weight[looked_up][~over])
    untouched = np.setdiff1d(np.arange(len(weight)), looked_up)
    np.testing.assert_array_equal(after[untouched], weight[untouched])


def test_embedding_by_hand():
    weight = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    indices = np.array([[2, 0], [2, 2]])
    y, after = embedding_forward(indices, weight)
    np.testing.assert_array_equal(y, [[[5, 6], [1, 2]], [[5, 6], [5, 6]]])
    np.testing.assert_array_equal(after, weight)  # no max_norm: the weight is as it was
    grad_y = np.array([[[1.0, 0.0], [2.0, 3.0]], [[10.0, 20.0], [100.0, 200.0]]])
    # Row 2 is picked three times: 1 + 10 + 100 and 0 + 20 + 200; row 1 never.
    grad = embedding_vjp(indices, 3, grad_y)["weight"]
    np.testing.assert_array_equal(grad, [[2, 3], [0, 0], [111, 220]])
    # By frequency: row 2's sum over its 3 picks, row 0's over 1.
    grad = embedding_vjp(indices, 3, grad_y, scale_grad_by_freq=True)["weight"]
    np.testing.assert_allclose(grad, [[2, 3], [0, 0], [37, 220 / 3]])
    # padding_idx -1 names row 2: its gradient is zero, whatever picked it.
    grad = embedding_vjp(indices, 3, grad_y, padding_idx=-1)["weight"]
    np.testing.assert_array_equal(grad, [[2, 3], [0, 0], [0, 0]])


def test_max_norm_by_hand():
    weight = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    # Row 0 (norm 5) is looked up and rescaled to 1 / (5 + 1e-7) of itself; row 1 (norm
    # 0.5) is inside the ball; row 2 is never looked up, so never touched.
    y, after = embedding_forward(np.array([0, 1, 0]), weight, max_norm=1.0)
    scale = 1.0 / (5.0 + 1e-7)
    np.testing.assert_array_equal(after, [[3 * scale, 4 * scale], [0.3, 0.4], [6.0, 8.0]])
    np.testing.assert_array_equal(y, after[[0, 1, 0]])
    # The 1-norm of row 0 is 7; the inf-norm 4.
    _, after = embedding_forward(np.array([0]), weight, max_norm=2.0, norm_type=1.0)
    np.testing.assert_allclose(after[0], [3 * 2 / (7 + 1e-7), 4 * 2 / (7 + 1e-7)])
    _, after = embedding_forward(np.array([0]), weight, max_norm=2.0, norm_type=math.inf)
    np.testing.assert_allclose(after[0], [3 * 2 / (4 + 1e-7), 4 * 2 / (4 + 1e-7)])
