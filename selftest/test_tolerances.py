"""The tolerance table's rows: their bound where sums stay in range and where they may not."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from spec.dtypes import DTYPES, format_of
from spec.tolerances import tolerance_for
from tests.assertions import assert_matches_reference


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
