"""Sigmoid's known failures (of onnxruntime's and OpenVINO's kernels, on their paths)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers.softmax import OPENVINO_EXP_FLUSHES_BELOW
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "Sigmoid"
# onnxruntime's sigmoid leaves the tolerance table below -1.97 (float32) and -1.71
# (float64), measured on a 240,001-point grid of [-60, 60], and returns 0 from about -18
# (float32) and -37 (float64) on; at and above -1.5 it is within the table.
ONNXRUNTIME_SIGMOID_ACCURATE_ABOVE = -1.5


def _some_input_below(threshold: float) -> Callable[[Where], bool]:
    """The cases with an input element below `threshold`."""
    return lambda where: where.x is not None and bool((where.x < threshold).any())


def onnxruntime_negative_tail() -> None:
    for dtype, value in ((torch.float32, -20.0), (torch.float64, -40.0)):
        x = torch.tensor([value], dtype=dtype)
        y = on_path("onnxruntime", torch.nn.Sigmoid())(x).item()
        # sigmoid(-20) = 2.1e-9 and sigmoid(-40) = 4.2e-18: normal numbers of the dtype.
        exact = torch.sigmoid(x).item()
        assert abs(y - exact) < 1e-6 * exact, f"{dtype}: onnxruntime {y}, sigmoid {exact}"


ONNXRUNTIME_NEGATIVE_TAIL = KnownFailure(
    id="sigmoid-onnxruntime-negative-tail",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float32", "float64"),
    paths=running_kernels("onnxruntime"),
    covers=_some_input_below(ONNXRUNTIME_SIGMOID_ACCURATE_ABOVE),
    repro=onnxruntime_negative_tail,
    observed=Observed(since="2.13.0"),
    summary=(
        "onnxruntime's CPU Sigmoid loses its relative accuracy for negative inputs "
        "(below about -2 in float32, -1.7 in float64) and returns 0 where the sigmoid "
        "is a normal number (sigmoid(-20) = 2.1e-9 in float32, sigmoid(-40) = 4.2e-18 "
        "in float64); torch gives them to an ulp"
    ),
    upstream=(
        "related: https://github.com/microsoft/onnxruntime/issues/22557 (open: a "
        "negative sigmoid at -18 on Arm), "
        "https://github.com/microsoft/onnxruntime/issues/26281 (closed, stale: the "
        "logistic post-transform's precision for large negative inputs)"
    ),
)


def openvino_exp_flush() -> None:
    x = torch.tensor([-87.0])
    y = on_path("compile:openvino", torch.nn.Sigmoid())(x).item()
    # sigmoid(-87) = 1 / (1 + e^87) = 1.6458e-38, a normal float32 (the smallest is 1.18e-38).
    exact = 1.0 / (1.0 + math.exp(87.0))
    assert abs(y - exact) < 1e-6 * exact, f"openvino {y}, sigmoid {exact}"


OPENVINO_EXP_FLUSH = KnownFailure(
    id="sigmoid-openvino-exp-flush",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float32",),
    paths=running_kernels("openvino"),
    covers=_some_input_below(OPENVINO_EXP_FLUSHES_BELOW),
    repro=openvino_exp_flush,
    observed=Observed(since="2.13.0"),
    summary=(
        "Sigmoid compiled by torch.compile(backend='openvino') (openvino 2026.4.1, f32 "
        "inference precision) returns 0 where the sigmoid is a normal float32 between "
        "1.18e-38 and 1.66e-38, the exp flush of softmax-openvino-exp-flush: "
        "sigmoid(-87) = 1.6458e-38, sigmoid(-87.3) = 1.2192e-38, openvino 0.0 for both "
        "(-86.9 is right); torch gives them to an ulp. Found by the forward property's "
        "value class 'exp at the bottom of the range'"
    ),
    upstream="not filed (no upstream issue found)",
)

ENTRIES = (ONNXRUNTIME_NEGATIVE_TAIL, OPENVINO_EXP_FLUSH)
