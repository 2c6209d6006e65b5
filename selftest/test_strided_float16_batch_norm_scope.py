"""The batch norms' float16 strided entries on compile:aot_eager cover a strided input
alone: AOTAutograd hands the backward a grad_output in the output's memory format, so a
strided or channels_last grad_output, or a channels_last input, is right there, while a
strided input is wrong as on eager. BatchNorm1d's entry once left the path out, and a
strided input on it went red (layouts, compile profile, seed 1); BatchNorm2d's covered
the eager scope there, wider than seen."""

from __future__ import annotations

import pytest

from tests.known_failures import Check, Where, covering

ENTRIES = {
    "BatchNorm1d": "batch_norm1d-float16-strided-grad-output",
    "BatchNorm2d": "batch_norm2d-float16-strided-grad-output",
}


def _covers(layer: str, path: str, layout: str, grad_layout: str) -> bool:
    hp = {"num_features": 2, "eps": 1e-5, "track_running_stats": False}
    where = Where(layer, "float16", "cpu", hp, False, layout, path=path, grad_layout=grad_layout)
    return ENTRIES[layer] in [known.id for known in covering(Check.GRADIENTS, where)]


@pytest.mark.parametrize("layer_name", ENTRIES)
@pytest.mark.parametrize("grad_layout", ["contiguous", "strided"])
def test_on_aot_eager_a_strided_input_is_covered(layer_name, grad_layout):
    assert _covers(layer_name, "compile:aot_eager", "strided", grad_layout)


@pytest.mark.parametrize("layer_name", ENTRIES)
def test_on_aot_eager_a_strided_grad_output_alone_is_judged(layer_name):
    assert not _covers(layer_name, "compile:aot_eager", "contiguous", "strided")
    assert not _covers(layer_name, "compile:aot_eager", "contiguous", "contiguous")


def test_on_aot_eager_a_channels_last_input_is_judged():
    assert not _covers("BatchNorm2d", "compile:aot_eager", "channels_last", "contiguous")


@pytest.mark.parametrize("layer_name", ENTRIES)
def test_on_eager_either_tensor_strided_is_covered(layer_name):
    assert _covers(layer_name, "eager", "contiguous", "strided")
    assert _covers(layer_name, "eager", "strided", "contiguous")
    assert not _covers(layer_name, "eager", "contiguous", "contiguous")
