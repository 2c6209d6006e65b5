"""Small reusable strategies for shapes and hyperparameters; each documents its bounds."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from reference.padding import PADDING_MODES

# Sizes stay small so one example costs milliseconds: no drawn tensor exceeds ~10^4
# elements, far under the ~10^5 the design allows.
MAX_FEATURES = 24
MAX_BATCH = 5
MAX_SPATIAL = 12
MAX_CHANNELS = 6

# The factories below are cached: a strategy is immutable, and one built anew for every
# draw is validated anew by Hypothesis (its graph walked for emptiness and reuse), which
# cost a conformance run about a tenth of its time (py-spy, docs/benchmarks.md). The draws
# are the same either way.


@cache
def sizes(low: int = 1, high: int = MAX_FEATURES) -> st.SearchStrategy[int]:
    """A dimension size in [low, high]; shrinks to `low` (batch size 1 is the default)."""
    return st.integers(low, high)


@cache
def leading_shapes(max_dims: int = 3, high: int = MAX_BATCH) -> st.SearchStrategy[tuple]:
    """Arbitrary leading (batch) dimensions, including none at all."""
    return st.lists(st.integers(1, high), max_size=max_dims).map(tuple)


@cache
def int_or_pair(low: int, high: int) -> st.SearchStrategy[int | tuple[int, int]]:
    """An int or an (h, w) pair, as torch's 2-D layers accept either."""
    return st.one_of(
        st.integers(low, high), st.tuples(st.integers(low, high), st.integers(low, high))
    )


@cache
def int_or_single(low: int, high: int) -> st.SearchStrategy[int | tuple[int]]:
    """An int or a one-element tuple, as torch's 1-D layers accept either."""
    return st.one_of(st.integers(low, high), st.tuples(st.integers(low, high)))


@cache
def tensor_shapes(min_dims: int = 1, max_dims: int = 4, high: int = 6) -> st.SearchStrategy[tuple]:
    """Any small tensor shape of min_dims..max_dims dims (no size-0 dims)."""
    return st.lists(st.integers(1, high), min_size=min_dims, max_size=max_dims).map(tuple)


@cache
def class_names(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """One of `names` (a dimension's classes), shrinking to the first."""
    return st.sampled_from(names)


def from_class(
    draw: st.DrawFn,
    corner: dict,
    dimension: str,
    options: dict[str, st.SearchStrategy],
) -> tuple[str, object]:
    """(class, value): from the class `corner` fixes for `dimension`, else any class.

    A corner is a dict {dimension: class}: the corner pass (tests/corners.py) draws one
    example per class of every dimension, so each class reaches every property each run.
    """
    if dimension in corner:
        chosen = corner[dimension]
    else:
        chosen = draw(class_names(tuple(options)), label=dimension)
    return chosen, draw(options[chosen], label=f"{dimension}: {chosen}")


# A convolution's negative padding meets two checks: zeros pads inside the convolution,
# the copying modes through F.pad first. Each is an invalid kind of its own, so that the
# errors corners (each kind in each mode) meet both in every run.
NEGATIVE_PADDING_KINDS = ("negative padding", "negative padding, a copying padding_mode")


def negative_padding_mode(draw: st.DrawFn, kind: str) -> str:
    """The padding_mode of a negative-padding kind: zeros, or any copying mode."""
    if kind == NEGATIVE_PADDING_KINDS[0]:
        return PADDING_MODES[0]
    return draw(st.sampled_from(PADDING_MODES[1:]), label="padding_mode")
