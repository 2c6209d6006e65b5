"""When a sum of scaled values is exact in a dtype, whatever order it is added in.

Update laws are short sums: theta - lr * (g + wd * theta), beta1 * m + (1 - beta1) * g.
Write one as terms c_i * x_i whose coefficients c_i are powers of two (or zero), so that
every product c_i * x_i is a shift, exact. If every nonzero term lies on the grid 2^E
(E: the lowest set bit among them) and the sum of their magnitudes S stays below
2^(E + p) (p: the dtype's significand bits), then every partial sum, in any association,
is a multiple of 2^E smaller than 2^(E + p) in magnitude: representable. Every rounding
is then exact, so every correct algorithm (any order, fused multiply-adds, a wider
accumulator) returns the exact sum. Values below the dtype's floor (spec/tolerances.py)
are refused, which keeps clear of subnormal ranges some kernels flush.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spec.dtypes import FORMATS
from spec.tolerances import tolerance_for

# The largest finite value of each dtype.
LARGEST = {name: number_format.largest for name, number_format in FORMATS.items()}

# A scaled term: the factors of its coefficient (each a hyperparameter as the law applies
# it, one multiplication apiece) and the values they scale.
Term = tuple[tuple[float, ...], np.ndarray]


def significand_bits(dtype: str) -> int:
    """p, the bits of the significand (the implicit one included): 2^-p is the unit roundoff."""
    return round(-np.log2(tolerance_for(dtype).eps))


def lowest_bit(x: np.ndarray) -> np.ndarray:
    """Per element, the exponent of the lowest set bit of a nonzero finite float64 (x = k 2^e,
    k odd -> e); +inf where x is zero or not finite."""
    x = np.asarray(x, dtype=np.float64)
    usable = np.isfinite(x) & (x != 0)
    mantissa, exponent = np.frexp(np.where(usable, np.abs(x), 1.0))
    integer = (mantissa * 2.0**53).astype(np.int64)  # exact: mantissa has 53 bits
    lowest = integer & -integer
    trailing = np.frexp(lowest.astype(np.float64))[1] - 1
    return np.where(usable, exponent - 53 + trailing, np.inf)


def is_power_of_two(c: float | np.ndarray) -> np.ndarray:
    """Whether |c| is 2^k for an integer k (zero is not)."""
    c = np.asarray(c, dtype=np.float64)
    mantissa = np.frexp(np.where(np.isfinite(c), np.abs(c), 0.0))[0]
    return mantissa == 0.5


def exact_sums(terms: Sequence[Term], dtype: str) -> np.ndarray:
    """Per element: whether sum(c * x) is exact in `dtype` in every association (see above).

    A term whose coefficient or value is zero drops out; a nonzero term with a factor that
    is not a power of two (each factor is a multiplication of its own: 3 * (1/3) is 1 in
    float64, and not in the dtype), or a value that is not finite, makes the element
    inexact.
    """
    scaled, ok = [], None
    for factors, values in terms:
        values = np.asarray(values, dtype=np.float64)
        coefficient = np.asarray(float(np.prod(factors)), dtype=np.float64)
        powers = all(bool(is_power_of_two(factor)) for factor in factors)
        present = (coefficient != 0) & (values != 0)
        usable = ~present | (powers & np.isfinite(values))
        ok = usable if ok is None else ok & usable
        with np.errstate(invalid="ignore", over="ignore"):
            scaled.append(np.where(present & usable, coefficient * values, 0.0))
    if not scaled:
        return np.ones((), dtype=bool)
    scaled = np.broadcast_arrays(*scaled)
    grid = np.min([lowest_bit(s) for s in scaled], axis=0)
    total = np.sum([np.abs(s) for s in scaled], axis=0)
    p = significand_bits(dtype)
    finest = np.log2(tolerance_for(dtype).floor)
    # No term at all (grid +inf): the sum is an exact zero.
    fits = np.isinf(grid) | ((grid >= finest) & (total < np.exp2(np.minimum(grid + p, 1023.0))))
    return np.broadcast_to(ok, fits.shape) & fits & (total <= LARGEST[dtype])


def exact_square(x: np.ndarray) -> np.ndarray:
    """Per element: whether x * x is exact in float64 (x has at most 26 significant bits)."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x) & (x != 0)
    top = np.frexp(np.where(finite, x, 1.0))[1] - 1
    return ~np.isfinite(x) | (x == 0) | (top - lowest_bit(x) + 1 <= 26)


def is_power_of_four(c: float) -> bool:
    """Whether c is 4^k for an integer k."""
    return bool(is_power_of_two(c)) and (np.frexp(c)[1] - 1) % 2 == 0
