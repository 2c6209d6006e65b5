"""The tolerance table: the only place a tolerance lives.

A comparison allows, per output element,

    |torch - reference| <= c(dtype) * eps(dtype) * sqrt(K) * scale + floor(dtype)

`scale` is derived per op by the spec (for ops linear in each argument: the op applied
to absolute values, so cancellation never hides behind a big constant; for
normalisations: the spread-normalised offset; for elementwise maps: the output's
magnitude). K is the reduction length behind the element: rounding errors of a
K-term sum grow like sqrt(K) for the blocked/pairwise sums torch uses. The floor is
the smallest normal of float32, float64 and bfloat16 (torch's vectorised exp flushes
subnormal results to zero) and four subnormals of float16, which torch keeps.

c is one small constant per dtype; `bench/tolerance_sharpness.py` measures, per layer,
quantity and dtype, how much of the bound torch's real error uses (see the README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spec.dtypes import DTYPES, FORMATS, HALF_DTYPES, format_of


@dataclass(frozen=True)
class Tolerance:
    """One row of the table: the constant c, the unit roundoff and the absolute floor."""

    dtype: str
    c: float
    eps: float
    floor: float
    # Past this absolute scale some order of summation overflows a partial sum, to +inf
    # or -inf: inf of either sign, and NaN (inf - inf), are then right answers too, so
    # the bound is infinite. It is the largest value of the format sums accumulate in.
    accumulator_largest: float

    def bound(
        self,
        scale: np.ndarray,
        k: np.ndarray | int,
        floor_scale: np.ndarray | float = 1.0,
        reach: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """The allowed absolute error per element.

        floor_scale carries the floor through a later multiplication: a forward value
        flushed to zero (error up to the floor) times a gradient g is off by |g| * floor.
        reach is the largest |partial sum| on the way, where it exceeds the scale: a
        mean's sum, which may overflow while the mean fits.
        """
        k = np.maximum(np.asarray(k, dtype=np.float64), 1.0)
        scale = np.asarray(scale, dtype=np.float64)
        bound = self.c * self.eps * np.sqrt(k) * scale + self.floor * np.asarray(floor_scale)
        overflows = np.maximum(scale, reach) > self.accumulator_largest
        return np.where(overflows, np.inf, bound)


def _row(dtype: str, c: float, floor: float | None = None) -> Tolerance:
    """A row whose eps is the dtype's unit roundoff and floor its smallest normal, unless said."""
    number_format = format_of(dtype)
    floor = number_format.smallest_normal if floor is None else floor
    # CPU kernels accumulate the half types in float32.
    accumulator = "float32" if dtype in HALF_DTYPES else dtype
    return Tolerance(
        dtype,
        c=c,
        eps=number_format.unit_roundoff,
        floor=floor,
        accumulator_largest=format_of(accumulator).largest,
    )


TOLERANCES: dict[str, Tolerance] = {
    "float64": _row("float64", c=8.0),
    "float32": _row("float32", c=8.0),
    # float16 and bfloat16 round every intermediate (CPU kernels often accumulate in
    # float32 but round inputs/outputs), so c carries the extra roundings.
    # float16's subnormals reach down to 2^-24, and torch keeps them (it computes in
    # float32 and rounds once): the floor is four of them, not the smallest normal
    # 2^-14, which let values of the tiny regime move by 10x unseen (measured by
    # bench/tolerance_sharpness.py: at most 0.2 of this floor is used).
    "float16": _row("float16", c=16.0, floor=2.0**-22),
    "bfloat16": _row("bfloat16", c=16.0),
}
# Every dtype of spec/dtypes.py has its row, and nothing else has one.
assert set(TOLERANCES) == set(DTYPES), sorted(set(TOLERANCES) ^ set(DTYPES))


# A value rounded into the subnormals errs by up to half their spacing, absolute, not
# relative: in floors of the table, 1/8 in float16 (2^-25 against 2^-22) and far less in
# every other dtype. Only values below float16's smallest normal, the highest of the
# dtypes', can land there.
SUBNORMAL_ROUNDING_IN_FLOORS = 1.0 / 8.0
SUBNORMAL_REACH = max(number_format.smallest_normal for number_format in FORMATS.values())


def rounded_terms_floor(terms: np.ndarray, divisor: float = 1.0) -> float:
    """The floor scale of sum(terms) / divisor when each term is rounded into the dtype
    before the sum (a loss's per-position values, materialised in the dtype).

    Seen on torch 2.13.0: NLLLoss(weight=[0.0698]) in float16 on x = [107 * 2^-24] rounds
    w * x to 7 subnormals instead of 7.46, and the mean's division by the weight turns
    that into -100 * 2^-24 against -107 * 2^-24: 1.75 floors off, one term.
    """
    magnitudes = np.abs(np.asarray(terms, dtype=np.float64))
    tiny = np.count_nonzero((magnitudes > 0) & (magnitudes < SUBNORMAL_REACH))
    if tiny == 0 or divisor <= 0:
        return 1.0
    return 1.0 + SUBNORMAL_ROUNDING_IN_FLOORS * tiny / divisor


def rounded_factor_floor(intermediate: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """The floor scale, per element, of intermediate * multiplier when the intermediate is
    rounded into the dtype first: among the subnormals that rounding is absolute, and the
    multiplier carries it into the result.

    Seen on torch 2.13.0: float16 MSELoss backward forms 2/n * (x - t) in float16, then
    multiplies by grad_output; x = -5 * 2^-24 over 4 elements halves to -2.5 subnormals,
    rounded to -2, and g = -8.55 makes that 17 subnormals against 21.4: 1.09 floors off.
    """
    magnitudes = np.abs(np.asarray(intermediate, dtype=np.float64))
    tiny = (magnitudes > 0) & (magnitudes < SUBNORMAL_REACH)
    carried = np.where(tiny, np.abs(np.asarray(multiplier, dtype=np.float64)), 0.0)
    return 1.0 + SUBNORMAL_ROUNDING_IN_FLOORS * carried


def tolerance_for(dtype: str) -> Tolerance:
    """The row for a dtype name such as 'float32'."""
    return TOLERANCES[dtype]
