"""Value classes: values a bug needs together, met by the corner pass every run.

The float16 BatchNorm backward that rounds g * (x - mean) to float16 (a recorded torch
bug, batch_norm{1,2}d-float16-strided-grad-output) was found again by 0 seeds of 5: it
needs a grad_output of a few float16 steps over a channel of few small values, which two
independent random value recipes meet about once in 500 examples. The spec now names that
combination as a class of BatchNorm's values (spec/batch_norm.py TINY_GRADIENT), and the
properties that draw an input and a grad_output pair it with every other class
(tests/corners.py). The zoo's batch_norm2d_half_products_underflow proves it end to end.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spec.batch_norm import FEW_VALUES, TINY_GRADIENT
from spec.layers.batch_norm1d import SPEC as BATCH_NORM1D
from spec.layers.batch_norm2d import SPEC as BATCH_NORM2D
from spec.layers.conv2d import SPEC as CONV2D
from spec.values import (
    CLASS_ONLY_REGIMES,
    DRAWN_REGIMES,
    VALUES_DIMENSION,
    ValueClass,
    arrays,
    fill,
    value_recipes,
)
from tests import corners
from tests.layouts import LAYOUT_DIMENSION

BATCH_NORMS = (BATCH_NORM1D, BATCH_NORM2D)
CLASS_CORNER = {VALUES_DIMENSION: TINY_GRADIENT.name}


def test_a_value_class_names_known_regimes_only():
    with pytest.raises(ValueError, match="unknown regimes"):
        ValueClass("typo", why="", x=("smal",), grad_output=("tiny",))


def test_the_subnormal_regime_is_a_few_of_float16s_smallest_steps():
    values = fill((10_000,), 0, ("subnormal",), 1e2)
    steps = np.abs(values) / 2.0**-24
    assert steps.min() >= 1.0 and steps.max() <= 16.0
    assert (values < 0).any() and (values > 0).any()


def test_the_small_regime_is_one_small_scale_with_a_spread_of_its_size():
    for seed in range(200):
        values = fill((64,), seed, ("small",), 1e2)
        spread = values.std()
        assert 1e-3 / 2 < spread < 1e-1 * 2, (seed, spread)
        assert np.abs(values.mean()) < 2 * spread, (seed, values.mean(), spread)


def test_random_draws_never_pick_a_class_only_regime():
    assert not set(CLASS_ONLY_REGIMES) & set(DRAWN_REGIMES)

    @settings(max_examples=300, database=None)
    @given(value_recipes("x"))
    def drawn(recipe):
        assert not set(recipe[1]) & set(CLASS_ONLY_REGIMES)

    drawn()


@pytest.mark.parametrize("spec", BATCH_NORMS, ids=lambda spec: spec.name)
def test_the_layout_corners_meet_the_class_in_a_strided_input(spec):
    rows = corners.layout_corners(spec)
    in_class = [row for row in rows if row.get(VALUES_DIMENSION) == TINY_GRADIENT.name]
    assert any(row[LAYOUT_DIMENSION] == "strided" for row in in_class)
    assert any(row["mode"] == "train" for row in in_class)


@pytest.mark.parametrize("spec", BATCH_NORMS, ids=lambda spec: spec.name)
def test_no_corner_asks_for_the_class_without_batch_statistics(spec):
    rows = corners.layout_corners(spec) + corners.value_class_corners(spec)
    for row in rows:
        if row.get(VALUES_DIMENSION) == TINY_GRADIENT.name and row["mode"] == "eval":
            assert row["state"].endswith("no running stats"), row


def test_a_spec_without_value_classes_keeps_its_corners():
    assert corners.value_dimensions(CONV2D) == {}
    assert corners.value_class_corners(CONV2D) == corners.corners(CONV2D)


@pytest.mark.parametrize("spec", BATCH_NORMS, ids=lambda spec: spec.name)
def test_the_class_draws_few_small_values_under_a_small_eps(spec):
    # A layout row the class can join (not one asking for many values per channel).
    rows = corners.layout_corners(spec)
    corner = next(
        {**row, **CLASS_CORNER}
        for row in reversed(rows)
        if not spec.impossible({**row, **CLASS_CORNER})
    )
    token = corners.forced.set(corner)
    try:
        assert corners.forced_regimes(spec, "x") == TINY_GRADIENT.x
        assert corners.forced_regimes(spec, "grad_output") == TINY_GRADIENT.grad_output
        assert corners.value_label(spec) == f"{VALUES_DIMENSION}={TINY_GRADIENT.name}"

        @settings(max_examples=100, database=None)
        @given(st.data())
        def drawn(data):
            hp = data.draw(spec.hyperparams(corner))
            shape = data.draw(spec.input_shape(hp, corner))
            per_channel = int(np.prod(shape)) // shape[1]
            assert 1 < per_channel <= FEW_VALUES + FEW_VALUES // 4, shape
            assert hp["eps"] <= 1e-5

        drawn()
    finally:
        corners.forced.reset(token)


def test_without_a_corner_values_are_drawn_over_the_whole_domain():
    assert corners.forced_regimes(BATCH_NORM2D, "x") is None
    assert corners.value_label(BATCH_NORM2D) == f"{VALUES_DIMENSION}={corners.ANY_VALUES}"


def test_arrays_of_given_regimes_draw_only_a_seed():
    @settings(max_examples=50, database=None)
    @given(arrays((32,), 1e2, "g", regimes=("subnormal",)))
    def drawn(values):
        assert np.all(np.abs(values) <= 16 * 2.0**-24)

    drawn()


def test_the_exp_edge_regime_straddles_each_dtypes_smallest_normal():
    """A third of its elements sit near 0, the others within EXP_EDGE_REACH of the log of
    a dtype's smallest normal, mostly above it: exp of their distance to the top lands
    among the smallest normals, and some among the largest subnormals."""
    from spec.values import EXP_EDGE_REACH, EXP_EDGES

    values = fill((60_000,), 0, ("exp_edge",), 1e3)
    near_zero = values > -0.25 - 1e-12
    assert 0.30 < near_zero.mean() < 0.37
    below, above = EXP_EDGE_REACH
    edges = sorted(set(EXP_EDGES))
    near = [(values >= edge - below) & (values <= edge + above) for edge in edges]
    for edge, close in zip(edges, near, strict=True):
        assert (values[close] < edge).any() and (values[close] > edge).any()
    assert near_zero.sum() + sum(close.sum() for close in near) == values.size
    # float32's band where OpenVINO's exp flushes a normal result: a fifth of the draws.
    band = (values >= np.log(np.finfo(np.float32).tiny)) & (values < -86.99)
    assert band.mean() > 0.2
