"""The floating-point dtypes the suite runs in: the one home of their names and formats.

Every list of dtypes (the `--dtype` choices, the tolerance table, what a path can carry,
what a known failure is scoped to, the exact range of integers) derives from `FORMATS`.
A new dtype is a row here, then a row of spec/tolerances.py (which a selftest demands).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FloatFormat:
    """One IEEE-style binary format, by the numbers that rounding arguments need."""

    name: str  # torch's name for it: torch.<name>
    # Significand bits, the implicit one included: the unit roundoff is 2**-bits.
    significand_bits: int
    # The smallest positive normal number.
    smallest_normal: float
    # The largest finite number: (2 - 2^(1 - bits)) * 2^(largest exponent).
    largest: float

    @property
    def unit_roundoff(self) -> float:
        return 2.0**-self.significand_bits


# In the order a run lists them: the default dtype first, then wider, then the half types.
FORMATS: dict[str, FloatFormat] = {
    "float32": FloatFormat("float32", 24, 2.0**-126, (2 - 2.0**-23) * 2.0**127),
    "float64": FloatFormat("float64", 53, 2.0**-1022, (2 - 2.0**-52) * 2.0**1023),
    "float16": FloatFormat("float16", 11, 2.0**-14, (2 - 2.0**-10) * 2.0**15),
    # bfloat16 keeps float32's exponent range with 8 significand bits.
    "bfloat16": FloatFormat("bfloat16", 8, 2.0**-126, (2 - 2.0**-7) * 2.0**127),
}

DTYPES: tuple[str, ...] = tuple(FORMATS)
# The half-precision types: CPU kernels accumulate them in float32.
HALF_DTYPES: tuple[str, ...] = tuple(name for name in DTYPES if FORMATS[name].significand_bits < 24)


# Formats a kernel may round float32 products' inputs to that no run's dtype has: NVIDIA's
# TensorFloat-32 keeps float32's exponent range with 11 significand bits (10 stored).
PRODUCT_FORMATS: dict[str, FloatFormat] = {
    "tf32": FloatFormat("tf32", 11, 2.0**-126, (2 - 2.0**-10) * 2.0**127),
}


def product_format(name: str) -> FloatFormat:
    """A format float32 products may be narrowed to: a dtype's, or one of PRODUCT_FORMATS."""
    return PRODUCT_FORMATS[name] if name in PRODUCT_FORMATS else format_of(name)


def format_of(name: str) -> FloatFormat:
    """The format called `name` (KeyError naming the choices when there is none)."""
    if name not in FORMATS:
        raise KeyError(f"unknown dtype {name!r}; choose from {', '.join(DTYPES)}")
    return FORMATS[name]
