"""Self-tests of reference/padding.py: naive loops, np.pad, finite differences, hand values."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.padding import pad2d, pad2d_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import pad2d_naive

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# torch's modes under NumPy's names: an independent second oracle for the values.
NUMPY_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
MAX_SIZE = 7
MAX_PAD = 3
UNIT_VALUES = st.integers(-8, 8).map(lambda m: m / 8)


def _max_pad(size, mode):
    """Largest pad torch accepts on an axis of this size in this mode."""
    if mode == "reflect":
        return min(MAX_PAD, size - 1)  # reflection needs a source element beyond the edge
    if mode == "circular":
        return min(MAX_PAD, size)  # torch wraps around at most once
    return MAX_PAD


@st.composite
def pad_cases(draw):
    """(x, top, bottom, left, right, mode) with x of 2 to 4 dims."""
    mode = draw(st.sampled_from(PADDING_MODES), label="mode")
    lead = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2), label="leading dims")
    height, width = draw(st.integers(1, MAX_SIZE)), draw(st.integers(1, MAX_SIZE))
    top, bottom = (draw(st.integers(0, _max_pad(height, mode))) for _ in range(2))
    left, right = (draw(st.integers(0, _max_pad(width, mode))) for _ in range(2))
    x = draw(arrays(np.float64, (*lead, height, width), elements=UNIT_VALUES))
    note(f"x {x.shape}, pads top={top} bottom={bottom} left={left} right={right}, {mode!r}")
    return x, top, bottom, left, right, mode


@given(pad_cases())
def test_pad_equals_naive_loops(case):
    np.testing.assert_array_equal(pad2d(*case), pad2d_naive(*case))


@given(pad_cases())
def test_pad_equals_numpy_pad(case):
    x, top, bottom, left, right, mode = case
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    np.testing.assert_array_equal(pad2d(*case), np.pad(x, widths, mode=NUMPY_MODES[mode]))


@given(pad_cases(), st.data())
def test_vjp_equals_finite_differences(case, data):
    x, *pads = case
    padded = pad2d(*case)
    grad = data.draw(arrays(np.float64, padded.shape, elements=UNIT_VALUES), label="grad_padded")
    assert_vjp_matches_finite_differences(
        lambda value: pad2d(value, *pads), x, grad, pad2d_vjp(grad, *pads)
    )


ROW = np.array([[1.0, 2.0, 3.0]])


def test_modes_by_hand():
    expected = {
        "zeros": [0, 0, 1, 2, 3, 0, 0],
        "reflect": [3, 2, 1, 2, 3, 2, 1],
        "replicate": [1, 1, 1, 2, 3, 3, 3],
        "circular": [2, 3, 1, 2, 3, 1, 2],
    }
    for mode, row in expected.items():
        np.testing.assert_array_equal(pad2d(ROW, 0, 0, 2, 2, mode), [row], err_msg=mode)


def test_vjp_by_hand():
    # A gradient of ones counts how many padded positions copy each input element.
    ones = np.ones((1, 7))
    expected = {
        "zeros": [1, 1, 1],
        "reflect": [2, 3, 2],
        "replicate": [3, 1, 3],
        "circular": [2, 3, 2],
    }
    for mode, row in expected.items():
        np.testing.assert_array_equal(pad2d_vjp(ones, 0, 0, 2, 2, mode), [row], err_msg=mode)


def test_pads_rows_and_columns_independently():
    x = np.arange(1.0, 5.0).reshape(2, 2)
    np.testing.assert_array_equal(
        pad2d(x, 1, 0, 0, 1, "replicate"), [[1, 2, 2], [1, 2, 2], [3, 4, 4]]
    )
