"""BatchNorm1d's float16 strided entry on compile:aot_eager covers a strided input alone:
AOTAutograd hands the backward a contiguous grad_output, so a strided grad_output alone
is right there, while a strided input is wrong as on eager. The entry once left the
path out, and a strided input on it went red (layouts, compile profile, seed 1)."""

from __future__ import annotations

import pytest

from tests.known_failures import Check, Where, covering

ENTRY = "batch_norm1d-float16-strided-grad-output"


def _covers(path: str, layout: str, grad_layout: str) -> bool:
    hp = {"num_features": 2, "eps": 1e-5, "track_running_stats": False}
    where = Where(
        "BatchNorm1d", "float16", "cpu", hp, False, layout, path=path, grad_layout=grad_layout
    )
    return ENTRY in [known.id for known in covering(Check.GRADIENTS, where)]


@pytest.mark.parametrize("grad_layout", ["contiguous", "strided"])
def test_on_aot_eager_a_strided_input_is_covered(grad_layout):
    assert _covers("compile:aot_eager", "strided", grad_layout)


def test_on_aot_eager_a_strided_grad_output_alone_is_judged():
    assert not _covers("compile:aot_eager", "contiguous", "strided")
    assert not _covers("compile:aot_eager", "contiguous", "contiguous")


def test_on_eager_either_tensor_strided_is_covered():
    assert _covers("eager", "contiguous", "strided")
    assert _covers("eager", "strided", "contiguous")
    assert not _covers("eager", "contiguous", "contiguous")
