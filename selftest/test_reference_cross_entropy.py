"""reference.cross_entropy against a naive loop, finite differences and hand values."""

import math

import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from reference.cross_entropy import cross_entropy_forward, cross_entropy_vjp
from reference.reduction import REDUCTIONS
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import cross_entropy_naive
from selftest.test_reference_nll_loss import ELEMENTS, class_index_cases

SMOOTHING = st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)


@st.composite
def cases(draw):
    """Class-index targets (test_reference_nll_loss's cases), or probabilities of x's shape."""
    x, target, weight, ignore_index, reduction, grad_y = draw(class_index_cases())
    if draw(st.booleans(), label="probabilities"):
        target = draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0.0, 1.0)), label="q")
    smoothing = draw(SMOOTHING, label="label_smoothing")
    return x, target, weight, ignore_index, reduction, smoothing, grad_y


def _total(target, weight, ignore_index):
    if target.dtype.kind == "f":
        return 1.0
    return sum(
        (1.0 if weight is None else weight[t]) for t in np.ravel(target) if t != ignore_index
    )


@given(cases())
def test_cross_entropy_matches_the_naive_loop(case):
    x, target, weight, ignore_index, reduction, smoothing, _ = case
    np.testing.assert_allclose(
        cross_entropy_forward(x, target, weight, ignore_index, reduction, smoothing),
        cross_entropy_naive(x, target, weight, ignore_index, reduction, smoothing),
        rtol=1e-10,
        atol=1e-12,
        equal_nan=True,
    )


@given(cases())
def test_cross_entropy_vjp_matches_finite_differences(case):
    x, target, weight, ignore_index, reduction, smoothing, grad_y = case
    if reduction == "mean" and _total(target, weight, ignore_index) == 0:
        return  # NaN everywhere it counts (by-hand test below)
    grads = cross_entropy_vjp(x, target, weight, ignore_index, reduction, smoothing, grad_y)
    probabilities = target.dtype.kind == "f"
    assert set(grads) == ({"input", "target"} if probabilities else {"input"})

    def loss(x_, t_=target):
        return cross_entropy_forward(x_, t_, weight, ignore_index, reduction, smoothing)

    assert_vjp_matches_finite_differences(loss, x, grad_y, grads["input"])
    if probabilities:
        assert_vjp_matches_finite_differences(
            lambda t_: loss(x, t_), target, grad_y, grads["target"]
        )


def test_cross_entropy_of_equal_logits_by_hand():
    # Four equal logits: softmax 1/4 each, loss log 4 whatever the target; the gradient
    # of the mean over 2 rows is (1/4 - onehot) / 2.
    x, target = np.zeros((2, 4)), np.array([1, 3])
    assert math.isclose(float(cross_entropy_forward(x, target)), math.log(4), rel_tol=1e-15)
    grad = cross_entropy_vjp(x, target, None, -100, "mean", 0.0, np.array(1.0))["input"]
    np.testing.assert_array_equal(grad, [[0.125, -0.375, 0.125, 0.125], [0.125] * 3 + [-0.375]])


def test_label_smoothing_mixes_in_the_uniform_target_by_hand():
    x, target = np.log(np.array([[0.5, 0.25, 0.25]])), np.array([0])
    # e = 0.3 over C = 3: target weights 0.7 + 0.1 = 0.8 on class 0, 0.1 on the others.
    expected = -(0.8 * math.log(0.5) + 0.1 * math.log(0.25) + 0.1 * math.log(0.25))
    got = cross_entropy_forward(x, target, reduction="sum", label_smoothing=0.3)
    assert math.isclose(float(got), expected, rel_tol=1e-14)
    # The same as probability targets q = one-hot, smoothed the same way.
    probabilities = cross_entropy_forward(
        x, np.array([[1.0, 0.0, 0.0]]), reduction="sum", label_smoothing=0.3
    )
    assert math.isclose(float(probabilities), expected, rel_tol=1e-14)


def test_probability_targets_mean_over_positions_not_weights_by_hand():
    x, q = np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 1.0]])
    weight = np.array([3.0, 1.0])
    # Each row: -w[c] * 1 * log(1/2); rows 3 log 2 and log 2; mean over 2 positions.
    got = cross_entropy_forward(x, q, weight, reduction="mean")
    assert math.isclose(float(got), 2 * math.log(2), rel_tol=1e-15)


def test_weighted_mean_over_class_indices_by_hand():
    x, target, weight = np.zeros((2, 2)), np.array([0, 1]), np.array([3.0, 1.0])
    # Sum (3 + 1) log 2 over the targets' total weight 4: log 2.
    got = cross_entropy_forward(x, target, weight, reduction="mean")
    assert math.isclose(float(got), math.log(2), rel_tol=1e-15)


def test_mean_over_no_weight_is_nan_by_hand():
    x = np.array([[0.5, -1.0, 2.0]])
    for smoothing in (0.0, 0.4):
        assert math.isnan(cross_entropy_forward(x, np.array([-100]), label_smoothing=smoothing))
        # Counted, but of weight 0: torch's likelihood mean is 0/0 and its sum with the
        # smoothing mean is NaN; so is the gradient of the row.
        got = cross_entropy_forward(
            x, np.array([1]), np.array([1.0, 0.0, 1.0]), label_smoothing=smoothing
        )
        assert math.isnan(got)
        grads = cross_entropy_vjp(
            x, np.array([1]), np.array([1.0, 0.0, 1.0]), -100, "mean", smoothing, np.array(1.0)
        )
        assert np.isnan(grads["input"]).all()
    grads = cross_entropy_vjp(x, np.array([-100]), None, -100, "mean", 0.4, np.array(1.0))
    np.testing.assert_array_equal(grads["input"], np.zeros((1, 3)))


@given(st.sampled_from(REDUCTIONS), hnp.arrays(np.float64, (4,), elements=ELEMENTS))
def test_a_single_sample_of_shape_c_is_its_own_batch(reduction, x):
    # (C,) with a 0-d target is one position: 'none' gives a 0-d loss, 'mean' the same value.
    none = cross_entropy_forward(x, np.array(2), reduction="none")
    assert none.shape == ()
    np.testing.assert_allclose(cross_entropy_forward(x, np.array(2), reduction=reduction), none)
