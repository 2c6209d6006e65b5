"""reference.flatten against reshape, finite differences and hand values; no torch here."""

import math

import numpy as np
import pytest
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.flatten import flatten_forward, flatten_out_shape, flatten_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences

ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False)


@st.composite
def flatten_cases(draw):
    """(x, start_dim, end_dim, grad_y) with start <= end after wrapping, either sign."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3), label="shape")
    rank = max(len(shape), 1)
    start = draw(st.integers(0, rank - 1), label="start")
    end = draw(st.integers(start, rank - 1), label="end")
    start_dim = start - rank if draw(st.booleans(), label="negative start") else start
    end_dim = end - rank if draw(st.booleans(), label="negative end") else end
    x = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="x")
    out_shape = flatten_out_shape(shape, start_dim, end_dim)
    grad_y = draw(hnp.arrays(np.float64, out_shape, elements=ELEMENTS), label="grad_y")
    note(f"shape {shape}, start_dim {start_dim}, end_dim {end_dim} -> {out_shape}")
    return x, start_dim, end_dim, grad_y


@given(flatten_cases())
def test_flatten_equals_reshape_to_the_closed_form_shape(case):
    x, start_dim, end_dim, _ = case
    y = flatten_forward(x, start_dim, end_dim)
    out_shape = flatten_out_shape(x.shape, start_dim, end_dim)
    assert y.shape == out_shape
    assert math.prod(out_shape) == x.size
    np.testing.assert_array_equal(y, x.reshape(out_shape))


@given(flatten_cases())
def test_vjp_matches_finite_differences(case):
    x, start_dim, end_dim, grad_y = case
    grad = flatten_vjp(x, start_dim, end_dim, grad_y)["input"]
    assert_vjp_matches_finite_differences(
        lambda x_: flatten_forward(x_, start_dim, end_dim), x, grad_y, grad
    )


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=4, max_side=4)))
def test_default_flatten_is_lenet5_view_batch_by_rest(x):
    np.testing.assert_array_equal(flatten_forward(x), x.reshape(x.shape[0], -1))


@pytest.mark.parametrize(
    ("in_shape", "start_dim", "end_dim", "out_shape"),
    [
        ((32, 1, 5, 5), 1, -1, (32, 25)),  # nn.Flatten()'s docstring example
        ((32, 1, 5, 5), 0, 2, (160, 5)),  # nn.Flatten(0, 2)
        ((2, 16, 5, 5), 1, -1, (2, 400)),  # LeNet5 before its first Linear
        ((2, 3, 4), 1, 1, (2, 3, 4)),  # a one-dim range changes nothing
        ((2, 0, 4), 0, 1, (0, 4)),  # empty dims multiply to 0
        ((), 0, -1, (1,)),  # a 0-d tensor flattens to one element
    ],
)
def test_out_shape_by_hand(in_shape, start_dim, end_dim, out_shape):
    assert flatten_out_shape(in_shape, start_dim, end_dim) == out_shape


def test_start_after_end_is_refused():
    with pytest.raises(ValueError, match="start_dim cannot come after end_dim"):
        flatten_out_shape((2, 3, 4), 2, 1)


@pytest.mark.parametrize(("in_shape", "dim"), [((2, 3, 4), 3), ((2, 3, 4), -4), ((), 1)])
def test_dim_out_of_range_is_refused(in_shape, dim):
    with pytest.raises(IndexError):
        flatten_out_shape(in_shape, dim, -1)
