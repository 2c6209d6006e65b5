"""Input values over the whole domain: zeros, ties, signed zeros, tiny, large and mixed scales.

Drawing every element through Hypothesis would cost far more than the example
itself, so Hypothesis draws a seed and a set of value regimes and NumPy fills the
array. Shrinking still works: the regimes shrink towards plain normals and the
seed towards 0, and a failure replays exactly.
"""

from __future__ import annotations

from collections.abc import Callable

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


REGIMES: dict[str, Generator] = {
    "normal": _normal,
    "ties": _ties,
    "signed_zeros": _signed_zeros,
    "log_uniform": _log_uniform,
    "large": _large,
    "tiny": _tiny,
    "offset": _offset,
}


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
        st.lists(st.sampled_from(list(REGIMES)), min_size=1, max_size=3, unique=True),
        label=f"{label} regimes",
    )
    seed = draw(st.integers(0, 2**32 - 1), label=f"{label} seed")
    return seed, tuple(regimes)


def arrays(shape: tuple[int, ...], top: float = 1e2, label: str = "x") -> st.SearchStrategy:
    """A float64 array of `shape` with values over the whole domain up to |top|."""
    return value_recipes(label).map(lambda recipe: fill(shape, recipe[0], recipe[1], top))


def normal_arrays(shape: tuple[int, ...], label: str = "x") -> st.SearchStrategy:
    """Smooth N(0, 1) values, for finite-difference checks that need no ties or kinks."""
    seeds = st.integers(0, 2**32 - 1)
    return seeds.map(lambda s: np.random.default_rng(s).standard_normal(shape))
