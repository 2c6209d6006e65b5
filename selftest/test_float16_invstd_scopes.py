"""The float16 inverse-std entries cover the regions scans found wrong, and no more: for
the batch norms (tests/known_failures/layers/batch_norm2d.py), batch statistics over a
channel whose variance + eps is below 65504**-2, on the aten paths, of more than 8 values
on inductor; for LayerNorm, a row whose variance + eps is below it, of more than one
element on inductor. The cases outside them are judged."""

from __future__ import annotations

import numpy as np
import pytest

from tests.known_failures import BY_ID, Where

INDUCTOR = (
    "batch_norm1d-inductor-float16-tiny-eps-backward",
    "batch_norm2d-inductor-float16-tiny-eps-backward",
)
ATEN = ("batch_norm1d-float16-invstd-overflow", "batch_norm2d-float16-invstd-overflow")
ENTRIES = INDUCTOR + ATEN
TINY = 1e-10


def _where(
    entry_id: str,
    x: np.ndarray | None,
    eps: float = TINY,
    training: bool = True,
    path: str | None = None,
) -> Where:
    layer = "BatchNorm1d" if "1d" in entry_id else "BatchNorm2d"
    hp = {"num_features": 2, "eps": eps, "track_running_stats": True}
    path = path or ("compile:inductor" if entry_id in INDUCTOR else "eager")
    return Where(layer, "float16", "cpu", hp, training=training, path=path, x=x)


def _constant(entry_id: str, values_per_channel: int) -> np.ndarray:
    shape = (values_per_channel, 2) if "1d" in entry_id else (1, 2, 1, values_per_channel)
    channels = np.array([0.5, -3.0]).reshape((1, 2) + (1,) * (len(shape) - 2))
    return np.broadcast_to(channels, shape).copy()


def _covers(entry_id: str, where: Where) -> bool:
    return BY_ID[entry_id].covers(where)


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_a_constant_channel_of_more_than_8_values_is_covered(entry_id):
    assert _covers(entry_id, _where(entry_id, _constant(entry_id, 9)))


@pytest.mark.parametrize("entry_id", INDUCTOR)
def test_a_constant_channel_of_8_values_is_judged_on_inductor(entry_id):
    assert not _covers(entry_id, _where(entry_id, _constant(entry_id, 8)))


@pytest.mark.parametrize("entry_id", INDUCTOR)
def test_with_dynamic_shapes_a_constant_channel_of_2_values_is_covered(entry_id):
    # A kernel compiled for a longer channel, or loaded from the cache, serves it.
    where = _where(entry_id, _constant(entry_id, 2), path="compile:inductor-dynamic")
    assert _covers(entry_id, where)


@pytest.mark.parametrize("entry_id", ATEN)
def test_a_constant_channel_of_2_values_is_covered_on_eager(entry_id):
    assert _covers(entry_id, _where(entry_id, _constant(entry_id, 2)))


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_values_among_float16_subnormals_are_covered(entry_id):
    x = _constant(entry_id, 16) * 2.0**-20  # 4.8e-7 and -2.9e-6, subnormals in float16
    x[(0, slice(None)) + (0,) * (x.ndim - 2)] = 0.0  # each channel's first value 0
    assert np.all(x.var(axis=tuple(i for i in range(x.ndim) if i != 1)) > 0)
    assert _covers(entry_id, _where(entry_id, x))


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_a_channel_whose_variance_keeps_invstd_finite_is_judged(entry_id):
    x = np.random.default_rng(0).standard_normal(_constant(entry_id, 32).shape)
    assert not _covers(entry_id, _where(entry_id, x))


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_running_statistics_and_a_plain_eps_are_judged(entry_id):
    x = _constant(entry_id, 16)
    assert not _covers(entry_id, _where(entry_id, x, training=False))
    assert not _covers(entry_id, _where(entry_id, x, eps=1e-5))


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_an_unknown_input_is_covered(entry_id):
    assert _covers(entry_id, _where(entry_id, None))


LAYER_NORM_ATEN = "layer_norm-float16-rstd-overflow"


def _layer_norm_where(
    x: np.ndarray | None, normalized_shape: int, eps: float = TINY, path: str = "eager"
) -> Where:
    hp = {"normalized_shape": normalized_shape, "eps": eps}
    return Where("LayerNorm", "float16", "cpu", hp, path=path, x=x)


def test_a_layer_norm_constant_row_is_covered():
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[1] = 2.0
    assert _covers(LAYER_NORM_ATEN, _layer_norm_where(x, 4))


def test_a_single_normalized_element_is_covered():
    x = np.random.default_rng(0).standard_normal((3, 1))
    assert _covers(LAYER_NORM_ATEN, _layer_norm_where(x, 1))


def test_layer_norm_rows_whose_variance_keeps_rstd_finite_are_judged():
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert not _covers(LAYER_NORM_ATEN, _layer_norm_where(x, 4))
    assert not _covers(LAYER_NORM_ATEN, _layer_norm_where(np.full((3, 4), 2.0), 4, eps=1e-5))


def test_a_layer_norm_unknown_input_is_covered():
    assert _covers(LAYER_NORM_ATEN, _layer_norm_where(None, 4))


LAYER_NORM_INDUCTOR = "layer_norm-inductor-float16-tiny-eps-backward"
INDUCTOR_PATHS = ("compile:inductor", "compile:inductor-dynamic")


def _layer_norm_inductor_covers(x: np.ndarray | None, normalized_shape: int, path: str) -> bool:
    return _covers(LAYER_NORM_INDUCTOR, _layer_norm_where(x, normalized_shape, path=path))


@pytest.mark.parametrize("path", INDUCTOR_PATHS)
def test_on_inductor_constant_rows_of_several_elements_are_covered(path):
    assert _layer_norm_inductor_covers(np.full((3, 4), 2.0), 4, path)
    assert _layer_norm_inductor_covers(None, 4, path)


@pytest.mark.parametrize("path", INDUCTOR_PATHS)
def test_on_inductor_a_single_element_and_finite_rstd_rows_are_judged(path):
    rng = np.random.default_rng(0)
    assert not _layer_norm_inductor_covers(rng.standard_normal((3, 1)), 1, path)
    assert not _layer_norm_inductor_covers(rng.standard_normal((3, 16)), 16, path)
    near = np.where(rng.random((3, 16)) < 0.5, 1.0, 1.0 + 2**-10)  # variance about 2.4e-7
    assert not _layer_norm_inductor_covers(near, 16, path)
