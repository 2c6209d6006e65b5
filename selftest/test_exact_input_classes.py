"""Exact cases meet the input classes a spec names for them (`exact_input_classes`): the
corner pass gives each case a row per class of each such dimension, and a row's case
draws its input inside that class, so a run never depends on its random draws to judge an
exact case on an unbatched input, a batch of one or LayerNorm's three leading dims."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from spec.exact import Sweep
from spec.registry import LAYERS, layer_named
from tests import corners

NAMING = [spec for spec in LAYERS if spec.exact_input_classes]
ROWS = [
    pytest.param(spec, row, id=f"{spec.name}-{row}")
    for spec in NAMING
    for row in corners.exact_corners(spec)
    if len(row) > 1
]


def test_some_specs_name_exact_input_classes():
    assert {"Linear", "Conv2d", "LayerNorm"} <= {spec.name for spec in NAMING}


@pytest.mark.parametrize("spec", NAMING, ids=lambda spec: spec.name)
def test_every_exact_case_has_a_row_in_each_named_class(spec):
    rows = corners.exact_corners(spec)
    for case in spec.exact:
        mine = [row for row in rows if row["exact case"] == case.name]
        if isinstance(case, Sweep):
            assert mine == [{"exact case": case.name}], case.name
            continue
        for dim in spec.exact_input_classes:
            met = {row[dim] for row in mine if dim in row}
            assert met == set(spec.input_classes[dim]), (case.name, dim)


@pytest.mark.parametrize(("spec", "row"), ROWS)
def test_an_exact_row_reaches_its_class(spec, row):
    """As the exact property draws a row's case: inside the row's classes where the
    spec's input strategy can, drawn again where the case's own needs took it outside
    (the batch norms' constant groups round each reduced size down to a power of two,
    so 12 values per channel become 8); a fifth of the draws at least must land inside."""
    (case,) = [c for c in spec.exact if c.name == row["exact case"]]
    drawing = corners.drawing_inside(spec, row)
    landed = []

    @settings(
        max_examples=10,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def drawn(data):
        hp = data.draw(case.hyperparams(spec) if case.hyperparams else spec.hyperparams())
        inputs = data.draw(case.inputs(drawing, hp, "float32"))
        landed.append(not corners.outside(spec, row, hp, tuple(inputs.x.shape)))

    drawn()
    assert sum(landed) >= len(landed) / 5, f"{sum(landed)} of {len(landed)} draws inside"


def test_a_spec_s_exact_input_classes_must_be_input_classes():
    with pytest.raises(ValueError, match="exact_input_classes"):
        dataclasses.replace(layer_named("LayerNorm"), exact_input_classes=("window",))
