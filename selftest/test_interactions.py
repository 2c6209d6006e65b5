"""Interactions: classes of three or more dimensions met together, every run.

The oneDNN bug inductor reaches through a one-channel input (recorded as
conv2d-inductor-one-input-channel-strided-column) needs one input channel, a batch above
1, an output one column wide at a horizontal stride above 1 and unstrided rows, all at
once. The pairwise corner array met the first three in a row at batch 1 only, so the
compile paths found it again at 0 seeds of 5 on compile:inductor. A spec now declares such
combinations (LayerSpec.interactions), and the corner pass gives each a row of its own
(tests/corners.py covering_rows). The zoo's conv2d_one_channel_batched_strided_column
proves it end to end: without Conv2d's interaction the forward property misses it.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from spec.layers.conv2d import SPEC as CONV2D
from spec.layerspec import Interaction
from spec.registry import LAYERS
from tests import corners

WITH_INTERACTIONS = [spec for spec in LAYERS if spec.interactions]
ARRAYS = (corners.corners, corners.value_class_corners, corners.layout_corners)


def _met_whole(interaction: Interaction, rows: list[dict[str, str]]) -> bool:
    return any(interaction.classes.items() <= row.items() for row in rows)


def test_a_row_meets_an_interaction_whole_and_every_pair_still_meets():
    dims = {name: ("x", "y") for name in "abcd"}
    wanted = Interaction("all x", {"a": "x", "b": "x", "c": "x"}, "a toy")
    pairwise = corners.covering_rows(dims, lambda classes: False)
    # The greedy array alone, general ("y") on ties, meets the three x's apart only.
    assert not _met_whole(wanted, pairwise)
    rows = corners.covering_rows(dims, lambda classes: False, interactions=[wanted])
    assert _met_whole(wanted, rows)
    met = set().union(*(corners._pairs_of(row, list(dims)) for row in rows))
    assert met >= corners.possible_pairs(dims, lambda classes: False)


def test_an_interaction_with_several_rows_meets_whole_in_that_many():
    dims = {name: ("x", "y") for name in "abcd"}
    wanted = Interaction("all x", {"a": "x", "b": "x", "c": "x"}, "a toy", rows=3)
    rows = corners.covering_rows(dims, lambda classes: False, interactions=[wanted])
    assert sum(wanted.classes.items() <= row.items() for row in rows) == 3


def test_an_interaction_over_dimensions_an_array_lacks_is_left_to_other_arrays():
    dims = {"a": ("x", "y"), "b": ("x", "y")}
    wanted = Interaction("all x", {"a": "x", "b": "x", "c": "x"}, "a toy")
    rows = corners.covering_rows(dims, lambda classes: False, interactions=[wanted])
    assert rows == corners.covering_rows(dims, lambda classes: False)


def test_conv2d_declares_the_one_channel_strided_column_interaction():
    assert WITH_INTERACTIONS, "no spec declares an interaction"
    assert CONV2D in WITH_INTERACTIONS


@pytest.mark.parametrize("array", ARRAYS, ids=lambda array: array.__name__)
@pytest.mark.parametrize("spec", WITH_INTERACTIONS, ids=lambda spec: spec.name)
def test_every_corner_array_over_the_input_classes_meets_each_interaction(spec, array):
    rows = array(spec)
    for interaction in spec.interactions:
        assert _met_whole(interaction, rows), interaction.name


@pytest.mark.parametrize(
    ("spec", "interaction"),
    [(spec, each) for spec in WITH_INTERACTIONS for each in spec.interactions],
    ids=lambda value: getattr(value, "name", ""),
)
def test_an_interaction_s_row_draws_configurations_inside_it(spec, interaction):
    row = next(r for r in corners.corners(spec) if interaction.classes.items() <= r.items())

    @settings(max_examples=60, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def drawn(data):
        hp = data.draw(spec.hyperparams(row))
        shape = data.draw(spec.input_shape(hp, row))
        got = spec.classify(hp, shape)
        assert interaction.classes.items() <= got.items(), (hp, shape, got)

    drawn()


@pytest.mark.parametrize(
    "classes",
    [
        {"channels": "one channel", "batch": "batch > 1"},  # a pair, not an interaction
        {"channels": "one channel", "batch": "batch > 1", "vertical stride": "sideways"},
        {
            "channels": "one channel",
            "batch": "batch > 1",
            "padding": "same, odd kernel",
            "vertical stride": "above 1",
        },
    ],
    ids=["two classes", "an unknown class", "impossible"],
)
def test_a_spec_rejects_a_malformed_interaction(classes):
    with pytest.raises(ValueError, match="interaction"):
        dataclasses.replace(CONV2D, interactions=(Interaction("bad", classes, "a test"),))


def test_a_spec_rejects_an_interaction_of_no_rows():
    none = dataclasses.replace(CONV2D.interactions[0], rows=0)
    with pytest.raises(ValueError, match="rows >= 1"):
        dataclasses.replace(CONV2D, interactions=(none,))
