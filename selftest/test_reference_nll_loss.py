"""reference.nll_loss against a naive loop, finite differences and hand values; no torch here."""

import math

import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from reference.nll_loss import nll_loss_forward, nll_loss_vjp
from reference.reduction import REDUCTIONS
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import nll_loss_naive

ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)
WEIGHTS = st.floats(0.0, 2.0, allow_subnormal=False)


@st.composite
def class_index_cases(draw, max_classes=4):
    """(x, target, weight, ignore_index, reduction, grad_y): every input rank, some targets
    ignored, ignore_index a class or not."""
    classes = draw(st.integers(1, max_classes), label="C")
    rank = draw(st.integers(1, 4), label="rank")
    dims = draw(st.lists(st.integers(1, 3), min_size=rank - 1, max_size=rank - 1), label="dims")
    shape = (classes,) if rank == 1 else (dims[0], classes, *dims[1:])
    target_shape = () if rank == 1 else (dims[0], *dims[1:])
    x = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="x")
    ignore_index = draw(st.sampled_from([-100, -1, 0, classes - 1, classes + 2]), label="ignore")
    values = st.integers(0, classes - 1) | st.just(ignore_index)
    target = draw(hnp.arrays(np.int64, target_shape, elements=values), label="target")
    weight = draw(st.none() | hnp.arrays(np.float64, (classes,), elements=WEIGHTS), label="w")
    reduction = draw(st.sampled_from(REDUCTIONS), label="reduction")
    grad_shape = target_shape if reduction == "none" else ()
    grad_y = draw(hnp.arrays(np.float64, grad_shape, elements=ELEMENTS), label="grad_y")
    return x, target, weight, ignore_index, reduction, grad_y


@given(class_index_cases())
def test_nll_matches_the_naive_loop(case):
    x, target, weight, ignore_index, reduction, _ = case
    np.testing.assert_allclose(
        nll_loss_forward(x, target, weight, ignore_index, reduction),
        nll_loss_naive(x, target, weight, ignore_index, reduction),
        rtol=1e-12,
        equal_nan=True,
    )


@given(class_index_cases())
def test_nll_vjp_matches_finite_differences(case):
    x, target, weight, ignore_index, reduction, grad_y = case
    total = sum(
        (1.0 if weight is None else weight[t]) for t in np.ravel(target) if t != ignore_index
    )
    if reduction == "mean" and total == 0:
        return  # the mean is NaN everywhere: nothing to differentiate (by-hand test below)
    grads = nll_loss_vjp(x, target, weight, ignore_index, reduction, grad_y)
    assert set(grads) == {"input"}, "the target is indices: it has no gradient"
    assert_vjp_matches_finite_differences(
        lambda x_: nll_loss_forward(x_, target, weight, ignore_index, reduction),
        x,
        grad_y,
        grads["input"],
    )


def test_nll_by_hand():
    x = np.array([[-1.0, -2.0, -3.0], [-0.5, -0.25, -4.0]])
    target = np.array([2, 0])
    weight = np.array([2.0, 1.0, 0.5])
    # Weighted picks: -0.5 * -3 = 1.5 and -2 * -0.5 = 1; total weight 0.5 + 2 = 2.5.
    np.testing.assert_array_equal(nll_loss_forward(x, target, weight, reduction="none"), [1.5, 1])
    assert nll_loss_forward(x, target, weight, reduction="sum") == 2.5
    assert nll_loss_forward(x, target, weight, reduction="mean") == 1.0
    grad = nll_loss_vjp(x, target, weight, -100, "mean", np.array(5.0))["input"]
    # -w[t] * 5 / 2.5 at each target: -1 and -4.
    np.testing.assert_array_equal(grad, [[0.0, 0.0, -1.0], [-4.0, 0.0, 0.0]])


def test_nll_ignores_targets_equal_to_ignore_index_by_hand():
    x = np.array([[-1.0, -2.0], [-3.0, -4.0], [-5.0, -6.0]])
    # ignore_index 1 is a class: the second row's target is ignored, and the third's (7)
    # is not a class at all, yet ignored too when it is the ignore_index.
    target = np.array([0, 1, 1])
    assert nll_loss_forward(x, target, ignore_index=1, reduction="mean") == 1.0
    assert nll_loss_forward(x, np.array([0, 7, 7]), ignore_index=7, reduction="sum") == 1.0


def test_nll_mean_over_no_weight_is_nan_by_hand():
    x = np.array([[-1.0, -2.0], [-3.0, -4.0]])
    ignored = np.array([-100, -100])
    assert math.isnan(nll_loss_forward(x, ignored, reduction="mean"))
    assert nll_loss_forward(x, ignored, reduction="sum") == 0.0
    # Every target ignored: the gradient is exactly zero (no position counts).
    grad = nll_loss_vjp(x, ignored, None, -100, "mean", np.array(1.0))["input"]
    np.testing.assert_array_equal(grad, np.zeros((2, 2)))
    # Targets counted but of weight zero: 0/0, NaN where a target is, zero elsewhere.
    grad = nll_loss_vjp(x, np.array([1, 1]), np.array([1.0, 0.0]), -100, "mean", np.array(1.0))
    assert np.isnan(grad["input"][:, 1]).all() and (grad["input"][:, 0] == 0).all()
