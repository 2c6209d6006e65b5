"""Input values over the whole domain: zeros, ties, signed zeros, tiny, large and mixed scales.

Drawing every element through Hypothesis would cost far more than the example
itself, so Hypothesis draws a seed and a set of value regimes and NumPy fills the
array. Shrinking still works: the regimes shrink towards plain normals and the
seed towards 0, and a failure replays exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

Generator = Callable[[np.random.Generator, int, float], np.ndarray]


def _normal(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    return rng.standard_normal(n)


def _ties(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # Small integers repeat: exact zeros, equal maxima (softmax, pooling) and exact sums.
    return rng.integers(-2, 3, n).astype(np.float64)


def _signed_zeros(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    return np.where(rng.random(n) < 0.5, 0.0, -0.0)


def _log_uniform(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # Mixed scales across elements: magnitudes spread evenly over 1e-3 .. top.
    magnitude = np.exp(rng.uniform(np.log(1e-3), np.log(top), n))
    return magnitude * rng.choice([-1.0, 1.0], n)


def _large(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # Where a naive exp overflows or a naive variance cancels.
    return rng.uniform(top / 10, top, n) * rng.choice([-1.0, 1.0], n)


def _tiny(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # Well inside float32's normal range; float16 flushes some of these, which the
    # tolerance floor absorbs.
    return rng.uniform(1e-7, 1e-5, n) * rng.choice([-1.0, 1.0], n)


def _offset(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # A common offset with a small spread: the hard case for normalisations.
    return top / 10 + rng.standard_normal(n)


def _small(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # Values of one small scale s (1e-3 to 1e-1), spread by s around a centre within s of
    # 0: a normalisation divides their differences by a deviation of order s, and a
    # product of a difference with a small factor lands among a half type's subnormals.
    scale = 10.0 ** rng.uniform(-3.0, -1.0)
    return scale * (rng.uniform(-1.0, 1.0) + rng.standard_normal(n))


def _subnormal(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # One to sixteen of float16's smallest steps (2^-24 .. 2^-20), log-uniform: values a
    # float16 kernel holds to a few bits, absolutely; every other dtype holds them exactly.
    magnitude = 2.0 ** rng.uniform(-24.0, -20.0, n)
    return magnitude * rng.choice([-1.0, 1.0], n)


REGIMES: dict[str, Generator] = {
    "normal": _normal,
    "ties": _ties,
    "signed_zeros": _signed_zeros,
    "log_uniform": _log_uniform,
    "large": _large,
    "tiny": _tiny,
    "offset": _offset,
    "small": _small,
    "subnormal": _subnormal,
}
# The regimes a random draw picks from. The others are asked for by value classes alone
# (ValueClass, below): they matter together with another tensor's regime, which two
# independent recipes meet about once in 500 random examples.
CLASS_ONLY_REGIMES = ("small", "subnormal")
DRAWN_REGIMES = tuple(name for name in REGIMES if name not in CLASS_ONLY_REGIMES)


# The dimension of the corner pass a layer's value classes form (tests/corners.py).
VALUES_DIMENSION = "values"


@dataclass(frozen=True)
class ValueClass:
    """Values a bug needs together in one call: the regimes of the input and of
    grad_output, named as a class of the layer's values (a dimension the corner pass
    pairs with the others, so every run meets it in every layout: tests/corners.py)."""

    name: str
    why: str
    x: tuple[str, ...]
    grad_output: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = set(self.x + self.grad_output) - set(REGIMES)
        if unknown:
            raise ValueError(f"value class {self.name!r}: unknown regimes {sorted(unknown)}")


def fill(shape: tuple[int, ...], seed: int, regimes: tuple[str, ...], top: float) -> np.ndarray:
    """An array whose every element comes from one of `regimes`, chosen at random."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    pools = np.stack([REGIMES[name](rng, n, top) for name in regimes])
    choice = rng.integers(0, len(regimes), n)
    return pools[choice, np.arange(n)].reshape(shape)


@st.composite
def value_recipes(draw: st.DrawFn, label: str) -> tuple[int, tuple[str, ...]]:
    """A seed and a non-empty set of regimes; shrinks to (0, ('normal',))."""
    regimes = draw(
        st.lists(st.sampled_from(DRAWN_REGIMES), min_size=1, max_size=3, unique=True),
        label=f"{label} regimes",
    )
    seed = draw(st.integers(0, 2**32 - 1), label=f"{label} seed")
    return seed, tuple(regimes)


def arrays(
    shape: tuple[int, ...],
    top: float = 1e2,
    label: str = "x",
    regimes: tuple[str, ...] | None = None,
) -> st.SearchStrategy:
    """A float64 array of `shape` with values over the whole domain up to |top|, or from
    the given `regimes` alone (a value class)."""
    if regimes is not None:
        return st.integers(0, 2**32 - 1).map(lambda seed: fill(shape, seed, regimes, top))
    return value_recipes(label).map(lambda recipe: fill(shape, recipe[0], recipe[1], top))


def normal_arrays(shape: tuple[int, ...], label: str = "x") -> st.SearchStrategy:
    """Smooth N(0, 1) values, for finite-difference checks that need no ties or kinks."""
    seeds = st.integers(0, 2**32 - 1)
    return seeds.map(lambda s: np.random.default_rng(s).standard_normal(shape))
