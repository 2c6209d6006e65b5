"""Input values over the whole domain: zeros, ties, signed zeros, tiny, large and mixed scales.

Drawing every element through Hypothesis would cost far more than the example
itself, so Hypothesis draws a seed and a set of value regimes and NumPy fills the
array. Shrinking still works: the regimes shrink towards plain normals and the
seed towards 0, and a failure replays exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

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


# Where exp's results leave a dtype's normal range: the log of the smallest normal of
# float16 (-9.70), float32 and bfloat16 (-87.34, listed twice: two dtypes have it) and
# float64 (-708.40).
EXP_EDGES = tuple(
    float(np.log(np.finfo(dtype).tiny))
    for dtype in (np.float16, np.float32, np.float32, np.float64)
)
# How far below and above an edge the regime's values reach: exp then spans the normals
# within a factor 1.4 of the smallest (where an early flush is wrong) and the largest
# subnormals (where a flush is allowed: only their neighbourhood is asked of it).
EXP_EDGE_REACH = (0.15, 0.35)


def _exp_edge(rng: np.random.Generator, n: int, top: float) -> np.ndarray:
    # A third of the elements within a quarter of 0 (a slice's top), the others near one
    # of exp's edges below them: exp(x - max) of a softmax, and a sigmoid's exp(x), land
    # among a dtype's smallest normals, where an exp that flushes early gives 0, and its
    # largest subnormals.
    near_zero = rng.uniform(-0.25, 0.0, n)
    edges = np.asarray(EXP_EDGES)[rng.integers(0, len(EXP_EDGES), n)]
    edge = edges + rng.uniform(-EXP_EDGE_REACH[0], EXP_EDGE_REACH[1], n)
    return np.clip(np.where(rng.random(n) < 1 / 3, near_zero, edge), -top, top)


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
    "exp_edge": _exp_edge,
}
# The regimes a random draw picks from. The others are asked for by value classes alone
# (ValueClass, below): they matter together with another tensor's regime, which two
# independent recipes meet about once in 500 random examples.
CLASS_ONLY_REGIMES = ("small", "subnormal", "exp_edge")
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


# Built once: a strategy made afresh for every draw is validated afresh (spec/strategies.py).
_REGIME_SETS = st.lists(st.sampled_from(DRAWN_REGIMES), min_size=1, max_size=3, unique=True)
_SEEDS = st.integers(0, 2**32 - 1)


@cache
def value_recipes(label: str) -> st.SearchStrategy[tuple[int, tuple[str, ...]]]:
    """A seed and a non-empty set of regimes; shrinks to (0, ('normal',))."""
    return _value_recipes(label)


@st.composite
def _value_recipes(draw: st.DrawFn, label: str) -> tuple[int, tuple[str, ...]]:
    regimes = draw(_REGIME_SETS, label=f"{label} regimes")
    seed = draw(_SEEDS, label=f"{label} seed")
    return seed, tuple(regimes)


def arrays(
    shape: tuple[int, ...],
    top: float = 1e2,
    label: str = "x",
    regimes: tuple[str, ...] | None = None,
) -> st.SearchStrategy:
    """A float64 array of `shape` with values over the whole domain up to |top|, or from
    the given `regimes` alone (a value class)."""
    chosen = None if regimes is None else tuple(regimes)
    return _arrays(tuple(int(n) for n in shape), float(top), label, chosen)


# Shapes recur across a run's draws: one strategy each, validated once (spec/strategies.py).
@lru_cache(maxsize=4096)
def _arrays(
    shape: tuple[int, ...], top: float, label: str, regimes: tuple[str, ...] | None
) -> st.SearchStrategy:
    if regimes is not None:
        return _SEEDS.map(lambda seed: fill(shape, seed, regimes, top))
    return value_recipes(label).map(lambda recipe: fill(shape, recipe[0], recipe[1], top))


def normal_arrays(shape: tuple[int, ...], label: str = "x") -> st.SearchStrategy:
    """Smooth N(0, 1) values, for finite-difference checks that need no ties or kinks."""
    seeds = st.integers(0, 2**32 - 1)
    return seeds.map(lambda s: np.random.default_rng(s).standard_normal(shape))


# A class of the layers whose forward is exp of the input or of its distance to a
# maximum (Softmax, Sigmoid): results at the bottom of the dtype's range, normal and
# subnormal. OpenVINO's CPU exp returns 0 below exp(-86.99), where float32's normals
# reach exp(-87.34): Softmax there was found at 3 seeds of 5 from values over the whole
# domain, which meet that band of 0.35 rarely.
EXP_UNDERFLOW = ValueClass(
    "exp at the bottom of the range",
    why="exp of the input (or of its distance to the maximum) near the dtype's smallest "
    "normal and subnormal values, where an exp that flushes early returns 0",
    x=("exp_edge",),
    grad_output=("normal",),
)
