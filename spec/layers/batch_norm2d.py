"""nn.BatchNorm2d: batch statistics in training, running statistics in eval (spec/batch_norm.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from reference.batch_norm import BATCH_NORM2D_RANKS
from spec.batch_norm import batch_norm_spec, least_values_per_channel, values_per_channel
from spec.input_classes import BATCHED
from spec.strategies import MAX_BATCH

MAX_SPATIAL = 8


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    # Torch rejects a single value per channel when it takes batch statistics (an
    # invalid case), so N * H * W > 1; it shrinks to (1, C, 1, 2).
    batch = {BATCHED[0]: st.just(1), BATCHED[1]: st.integers(2, MAX_BATCH)}
    n = draw(batch.get((corner or {}).get("batch"), st.integers(1, MAX_BATCH)), label="N")
    few = values_per_channel(corner)
    if few is not None:
        # H and W such that 1 < N * H * W <= few (N is at most MAX_BATCH, below few).
        h = draw(st.integers(1, few // n), label="H")
        least = 2 if n * h == 1 else 1
        w = draw(st.integers(least, max(least, few // (n * h))), label="W")
        return (n, hp["num_features"], h, w)
    fewest = least_values_per_channel(corner)
    h, w = draw(
        st.tuples(st.integers(1, MAX_SPATIAL), st.integers(1, MAX_SPATIAL)).filter(
            lambda hw: n * hw[0] * hw[1] >= fewest
        ),
        label="H, W",
    )
    return (n, hp["num_features"], h, w)


def valid_shapes(n: int, channels: int, size: int) -> list[tuple]:
    return [(n, channels, size, size)]


def wrong_ranks(channels: int) -> list[tuple]:
    return [(2, channels), (channels, 2, 2), (2, channels, 2, 2, 2)]


SPEC = batch_norm_spec(
    "BatchNorm2d",
    input_shape=input_shape,
    ranks=BATCH_NORM2D_RANKS,
    valid_shapes=valid_shapes,
    wrong_ranks=wrong_ranks,
)
