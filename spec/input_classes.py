"""Classes of a layer's input, declared next to its hyperparameter classes (LayerSpec).

Bugs live in interactions: a padding mode that breaks only for a batched input with more
than one channel, a ceil-mode division wrong only where the last window runs past the
padding. The corner pass meets every pair of classes, of the hyperparameters and of the
input alike (tests/corners.py); these are the input's classes several layers share, each
with the strategy that draws a shape inside a class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from hypothesis import strategies as st

from spec.strategies import MAX_BATCH, MAX_CHANNELS

# Whether the input has a batch dimension, and how many samples it holds: a batch of one
# is where reductions over the batch degenerate; unbatched input takes other code paths.
BATCH = ("unbatched", "batch 1", "batch > 1")
BATCHED = BATCH[1:]  # layers that require a batch dimension
# One channel or several: channel loops, grouped and channels_last kernels differ.
CHANNELS = ("one channel", "several channels")


def ranks_by_class(
    dimension: str, ranks: Mapping[str, Iterable[int]]
) -> Callable[[Mapping[str, str]], frozenset[int]]:
    """LayerSpec.input_ranks for a layer whose input rank one dimension's class decides:
    the ranks of the row's class there, or all of them where the row leaves it free."""
    by_class = {name: frozenset(each) for name, each in ranks.items()}
    every = frozenset().union(*by_class.values())

    def input_ranks(classes: Mapping[str, str]) -> frozenset[int]:
        return by_class.get(classes.get(dimension, ""), every)

    return input_ranks


def batched_ranks(rank: int) -> Callable[[Mapping[str, str]], frozenset[int]]:
    """The input ranks of a layer whose unbatched input has `rank` dims, by batch class."""
    return ranks_by_class("batch", {BATCH[0]: {rank}, BATCH[1]: {rank + 1}, BATCH[2]: {rank + 1}})


def batch_class(shape: tuple, rank: int) -> str:
    """The batch class of an input of `shape`, whose unbatched form has `rank` dims."""
    if len(shape) == rank:
        return BATCH[0]
    return BATCH[1] if shape[0] == 1 else BATCH[2]


def channels_class(count: int) -> str:
    return CHANNELS[0] if count == 1 else CHANNELS[1]


def batch_dims(
    draw: st.DrawFn, corner: dict | None, classes: tuple[str, ...] = BATCH
) -> tuple[int, ...]:
    """The leading batch dimension (none, or (N,)) in the corner's batch class, else any."""
    chosen = (corner or {}).get("batch") or draw(st.sampled_from(classes), label="batch")
    if chosen == BATCH[0]:
        return ()
    if chosen == BATCH[1]:
        return (1,)
    return (draw(st.integers(2, MAX_BATCH), label="N"),)


def channel_count(draw: st.DrawFn, corner: dict | None, label: str = "C") -> int:
    """A channel count in the corner's channels class, else any of 1..MAX_CHANNELS."""
    chosen = (corner or {}).get("channels")
    if chosen == CHANNELS[0]:
        return 1
    if chosen == CHANNELS[1]:
        return draw(st.integers(2, MAX_CHANNELS), label=label)
    return draw(st.integers(1, MAX_CHANNELS), label=label)
