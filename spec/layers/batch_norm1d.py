"""nn.BatchNorm1d on (N, C) and on (N, C, L): batch statistics in training, running
statistics in eval (spec/batch_norm.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from reference.batch_norm import BATCH_NORM1D_RANKS
from spec.batch_norm import (
    FEW_VALUES,
    batch_norm_spec,
    least_values_per_channel,
    values_per_channel,
)
from spec.input_classes import BATCHED, ranks_by_class
from spec.strategies import MAX_BATCH

MAX_LENGTH = 12
# (N, C) reduces each feature over the batch alone: up to 4 * FEW_VALUES rows, so a
# 2-D input reaches both values-per-channel classes (BatchNorm1d after a Linear).
MAX_ROWS = 4 * FEW_VALUES
# Both input ranks BatchNorm1d accepts are a class: (N, C) reduces over the batch alone.
RANK_CLASSES = {"2-D input": 2, "3-D input": 3}


def classify_shape(hp: dict, shape: tuple) -> dict:
    return {"input rank": f"{len(shape)}-D input"}


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    corner = corner or {}
    wanted = corner.get("input rank")
    if wanted:
        rank = RANK_CLASSES[wanted]
    elif corner.get("batch") == BATCHED[0]:
        rank = 3  # a 2-D batch of one is one value per channel (impossible, below)
    else:
        rank = draw(st.sampled_from([2, 3]), label="rank")
    batch = {BATCHED[0]: st.just(1), BATCHED[1]: st.integers(2, MAX_BATCH)}
    # Torch rejects a single value per channel when it takes batch statistics (an
    # invalid case), so N (times L) > 1; it shrinks to (2, C) and (1, C, 2). A corner
    # may ask for few values per channel or for many (N * L of them; N alone in 2-D).
    few, least = values_per_channel(corner), least_values_per_channel(corner)
    if rank == 2:
        most = MAX_ROWS if few is None else few
        return (draw(st.integers(least, most), label="N"), hp["num_features"])
    n = draw(batch.get(corner.get("batch"), st.integers(1, MAX_BATCH)), label="N")
    longest = MAX_LENGTH if few is None else max(2, few // n)
    shortest = max(1 if n > 1 else 2, -(-least // n))
    length = draw(st.integers(shortest, longest), label="L")
    return (n, hp["num_features"], length)


def impossible(classes: dict) -> bool:
    # (N, C) with N = 1 is one value per channel, which batch statistics reject.
    return classes.get("input rank") == "2-D input" and classes.get("batch") == BATCHED[0]


def valid_shapes(n: int, channels: int, size: int) -> list[tuple]:
    return [(n, channels), (n, channels, size)]


def wrong_ranks(channels: int) -> list[tuple]:
    return [(), (channels,), (2, channels, 2, 2), (2, channels, 2, 2, 2)]


SPEC = batch_norm_spec(
    "BatchNorm1d",
    input_shape=input_shape,
    ranks=BATCH_NORM1D_RANKS,
    valid_shapes=valid_shapes,
    wrong_ranks=wrong_ranks,
    shape_classes={"input rank": tuple(RANK_CLASSES)},
    classify_shape=classify_shape,
    impossible=impossible,
    input_ranks=ranks_by_class("input rank", {name: {r} for name, r in RANK_CLASSES.items()}),
)
