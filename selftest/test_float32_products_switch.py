"""The fp32-bf16 backend switch: float32 products in bfloat16, judged with bfloat16's rounding.

`torch.backends.mkldnn.{matmul,conv}.fp32_precision = "bf16"` lets oneDNN run float32
matmuls and convolutions on bfloat16-rounded inputs. Under `--switch fp32-bf16` the float32
comparisons of the layers it reaches (Linear, Conv1d, Conv2d, and the models built of them)
allow bfloat16's unit roundoff with float32's constant and floor; every other comparison
keeps float32's. Known failures seen under the switch alone say so (`KnownFailure.switches`),
and a repro of a cell under a switch sets it first. None of this depends on the CPU: the
setting is process state on every CPU, with bfloat16 arithmetic or without.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from report.interface import NotRun
from spec.dtypes import DTYPES, format_of, product_format
from spec.layers.linear import SPEC as LINEAR
from spec.layers.relu import SPEC as RELU
from tests import backend_switches
from tests.assertions import NARROWED_PRODUCT_ROUNDINGS, tolerance_bound
from tests.known_failures.entry import Where
from tests.known_failures.judge import judge
from tests.known_failures.layers.conv2d import (
    BFLOAT16_AMX_STRIDED_SINGLE_COLUMN,
    FP32_BF16_STRIDED_SINGLE_COLUMN,
)
from tests.repro import switch_lines

SWITCH = backend_switches.SWITCHES["fp32-bf16"]
SCALE_AND_K = (np.array([1.0, 2.0]), 16)

needs_the_setting = pytest.mark.skipif(
    SWITCH.missing() is not None, reason=f"this torch lacks {SWITCH.missing()}"
)


def _settings() -> tuple[str, str]:
    mkldnn = torch.backends.mkldnn
    return mkldnn.matmul.fp32_precision, mkldnn.conv.fp32_precision


@needs_the_setting
def test_the_switch_sets_both_settings_and_restores_them():
    before = _settings()
    with SWITCH.active():
        assert _settings() == ("bf16", "bf16")
        assert backend_switches.current() == "fp32-bf16"
    assert _settings() == before
    assert backend_switches.current() == backend_switches.DEFAULT


def test_a_reached_float32_comparison_allows_bfloat16_rounding():
    float32 = tolerance_bound("float32", SCALE_AND_K)
    with SWITCH.active(reached=True):
        widened = tolerance_bound("float32", SCALE_AND_K)
        float64 = tolerance_bound("float64", SCALE_AND_K)
    rounding = NARROWED_PRODUCT_ROUNDINGS * format_of("bfloat16").unit_roundoff
    np.testing.assert_allclose(widened, float32 + rounding * SCALE_AND_K[0])
    np.testing.assert_array_equal(float64, tolerance_bound("float64", SCALE_AND_K))


def test_the_narrowed_bound_holds_a_worst_case_product_sum():
    # Every input rounded to bfloat16 the same way, all products of one sign: the largest
    # error input rounding alone can make, within 3u of sum |a| |b|.
    u = format_of("bfloat16").unit_roundoff
    a, b = np.full(256, 1 + u * 0.999), np.full(256, 1 + u * 0.999)
    error = abs(float(np.sum(a * b)) - 256.0)
    bound = tolerance_bound("float32", (np.array(float(np.sum(np.abs(a * b)))), 256))
    with SWITCH.active(reached=True):
        widened = tolerance_bound("float32", (np.array(float(np.sum(np.abs(a * b)))), 256))
    assert bound < error <= widened


def test_an_unreached_comparison_keeps_float32s_rounding():
    float32 = tolerance_bound("float32", SCALE_AND_K)
    with SWITCH.active(reached=False):
        np.testing.assert_array_equal(tolerance_bound("float32", SCALE_AND_K), float32)


def test_the_switch_reaches_matmuls_and_convolutions_and_what_holds_them():
    assert SWITCH.reaches_test({"layer": LINEAR})
    assert not SWITCH.reaches_test({"layer": RELU})
    assert SWITCH.reaches_test({"model": object()})  # a model, a training step
    assert not backend_switches.SWITCHES[backend_switches.DEFAULT].reaches_test({"layer": LINEAR})


def _single_column_where() -> Where:
    hp = {"in_channels": 3, "out_channels": 1, "kernel_size": 2, "stride": (1, 2)}
    return Where(layer="Conv2d", dtype="float32", device="cpu", hp=hp, x=np.ones((2, 3, 7, 3)))


def test_an_entry_seen_under_a_switch_covers_its_cases_there_alone():
    assert FP32_BF16_STRIDED_SINGLE_COLUMN.switches == ("fp32-bf16",)
    assert FP32_BF16_STRIDED_SINGLE_COLUMN.dtypes == ("float32",)
    covers = FP32_BF16_STRIDED_SINGLE_COLUMN.covers
    assert covers is BFLOAT16_AMX_STRIDED_SINGLE_COLUMN.covers
    assert covers(_single_column_where())
    assert _single_column_where().switch == backend_switches.DEFAULT
    with SWITCH.active():
        assert _single_column_where().switch == "fp32-bf16"


def test_its_repro_is_not_run_where_the_run_tests_other_switches():
    with pytest.raises(NotRun, match="is under --switch fp32-bf16; this run tests default"):
        judge(FP32_BF16_STRIDED_SINGLE_COLUMN, "eager", ["eager"], switches=["default"])


@needs_the_setting
def test_a_repro_under_the_switch_sets_it_as_the_switch_does():
    assert switch_lines() == []
    with SWITCH.active():
        lines = switch_lines()
        expected = _settings()
    assert lines[0] == "# --switch fp32-bf16"
    before = _settings()
    try:
        exec("\n".join(["import torch", *lines]), {})
        assert _settings() == expected
    finally:
        torch.backends.mkldnn.matmul.fp32_precision, torch.backends.mkldnn.conv.fp32_precision = (
            before
        )


def test_every_switch_but_the_default_has_its_repro_lines():
    for name, switch in backend_switches.SWITCHES.items():
        assert bool(switch.plain) == (name != backend_switches.DEFAULT), name


TF32 = backend_switches.SWITCHES["tf32"]


def test_tf32_is_a_product_format_of_its_own():
    assert product_format("tf32").unit_roundoff == 2.0**-11
    assert "tf32" not in DTYPES


def test_tf32_reaches_cuda_cells_alone():
    assert TF32.reaches_test({"layer": LINEAR, "device": "cuda"})
    assert TF32.reaches_test({"layer": LINEAR, "device": "cuda:1"})
    assert not TF32.reaches_test({"layer": LINEAR, "device": "cpu"})
    assert not TF32.reaches_test({"layer": RELU, "device": "cuda"})
    assert not SWITCH.reaches_test({"layer": LINEAR, "device": "cuda"})


def test_tf32_sets_both_settings_and_restores_them():
    def settings() -> tuple[bool, bool]:
        return torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32

    before = settings()
    with TF32.active():
        assert settings() == (True, True)
    assert settings() == before


def test_the_tf32_bound_holds_what_an_h100_measured():
    # The second CUDA run's probe (docs/cuda.md): a 64x256 @ 256x32 product with TF32 on
    # erred by 1.1e-4 of sum |a| |b|, with K = 256.
    scale = np.array([1.0])
    with TF32.active(reached=True):
        allowed = float(tolerance_bound("float32", (scale, 256))[0])
    assert 1.1e-4 < allowed < 1.1e-4 * 20
