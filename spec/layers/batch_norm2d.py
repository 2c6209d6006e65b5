"""nn.BatchNorm2d: batch statistics in training, running statistics in eval (spec/batch_norm.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from reference.batch_norm import BATCH_NORM2D_RANKS
from spec.batch_norm import batch_norm_spec
from spec.strategies import MAX_BATCH

MAX_SPATIAL = 8


@st.composite
def input_shape(draw: st.DrawFn, hp: dict) -> tuple:
    # Torch rejects a single value per channel when it takes batch statistics (an
    # invalid case), so N * H * W > 1; it shrinks to (1, C, 1, 2).
    n, h, w = draw(
        st.tuples(
            st.integers(1, MAX_BATCH), st.integers(1, MAX_SPATIAL), st.integers(1, MAX_SPATIAL)
        ).filter(lambda nhw: nhw[0] * nhw[1] * nhw[2] > 1),
        label="N, H, W",
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
