"""LayerNorm's leading-dims classes: a row of each class draws inputs of that class, the
several class reaches three leading dims, where OpenVINO loses a float16 eps that it
keeps with two (layer_norm-openvino-float16-epsilon), and every exact case meets each
class every run (the exact case "constant rows, tiny eps" holds that bug)."""

import dataclasses

import pytest
from hypothesis import HealthCheck, find, given, settings, strategies as st

from spec.layers.layer_norm import LEADING
from spec.registry import layer_named
from tests import corners

SPEC = layer_named("LayerNorm")
HP = {"normalized_shape": (2, 5), "eps": 1e-10, "elementwise_affine": False, "bias": False}


@pytest.mark.parametrize("leading", LEADING)
def test_a_row_of_a_leading_dims_class_draws_inputs_of_that_class(leading):
    corner = {"leading dims": leading}

    @settings(max_examples=50, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def drawn(data):
        hp = data.draw(SPEC.hyperparams(corner))
        shape = data.draw(SPEC.input_shape(hp, corner))
        assert SPEC.classify(hp, shape)["leading dims"] == leading, (hp, shape)

    drawn()


@pytest.mark.parametrize("count", [2, 3])
def test_several_leading_dims_reach_two_and_three(count):
    several = SPEC.input_shape(HP, {"leading dims": LEADING[2]})
    shape = find(several, lambda s: len(s) - len(HP["normalized_shape"]) == count)
    assert shape[-2:] == HP["normalized_shape"]


def test_every_exact_case_has_a_row_in_each_leading_dims_class():
    rows = corners.exact_corners(SPEC)
    for case in SPEC.exact:
        met = {row["leading dims"] for row in rows if row["exact case"] == case.name}
        assert met == set(LEADING), case.name


@pytest.mark.parametrize("row", corners.exact_corners(SPEC), ids=lambda row: str(row))
def test_an_exact_row_draws_its_case_s_input_inside_its_class(row):
    (case,) = [c for c in SPEC.exact if c.name == row["exact case"]]
    drawing = corners.drawing_inside(SPEC, row)

    @settings(max_examples=20, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def drawn(data):
        hp = data.draw(case.hyperparams(SPEC) if case.hyperparams else SPEC.hyperparams())
        inputs = data.draw(case.inputs(drawing, hp, "float16"))
        assert not corners.outside(SPEC, row, hp, tuple(inputs.x.shape)), inputs.x.shape

    drawn()


def test_a_spec_s_exact_input_classes_must_be_input_classes():
    with pytest.raises(ValueError, match="exact_input_classes"):
        dataclasses.replace(SPEC, exact_input_classes=("window",))
