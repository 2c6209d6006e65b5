"""Softmax's known failures (of the openvino backend's exp, on compile:openvino)."""

from __future__ import annotations

import math

import torch

from spec.softmax_dim import axis_of
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "Softmax"
# OpenVINO's CPU exp returns 0 below this argument (bisected, float32): exp(-86.99) =
# 1.66e-38 is a normal float32 (the smallest is 1.18e-38), so results in
# [1.18e-38, 1.66e-38) come back as 0.
OPENVINO_EXP_FLUSHES_BELOW = -86.98997


def _flushed_term(where: Where) -> bool:
    """Some element lies far enough below its slice's maximum that exp(x - max) flushes."""
    if where.x is None or where.x.ndim == 0:
        return False
    axis = axis_of(dict(where.arguments), where.x.ndim)
    shifted = where.x - where.x.max(axis=axis, keepdims=True)
    return bool((shifted < OPENVINO_EXP_FLUSHES_BELOW).any())


def openvino_exp_flush() -> None:
    x = torch.tensor([0.0, -87.0])
    y = on_path("compile:openvino", torch.nn.Softmax(dim=0))(x)[1].item()
    # softmax([0, -87])[1] = e^-87 / (1 + e^-87) = 1.6458e-38, a normal float32.
    exact = math.exp(-87.0) / (1.0 + math.exp(-87.0))
    assert abs(y - exact) < 1e-6 * exact, f"openvino {y}, softmax {exact}"


OPENVINO_EXP_FLUSH = KnownFailure(
    id="softmax-openvino-exp-flush",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float32",),
    paths=running_kernels("openvino"),
    covers=_flushed_term,
    repro=openvino_exp_flush,
    observed=Observed(since="2.13.0"),
    summary=(
        "Softmax compiled by torch.compile(backend='openvino') (openvino 2026.4.1, f32 "
        "inference precision) returns 0 where the softmax is a normal float32 between "
        "1.18e-38 and 1.66e-38: OpenVINO's CPU exp flushes every result below "
        "exp(-86.99) to zero (softmax([0, -87])[1] = 1.6458e-38, openvino 0.0); torch "
        "gives it to an ulp. Sigmoid on this path shares the exp "
        "(sigmoid-openvino-exp-flush)"
    ),
    upstream="not filed (no upstream issue found)",
)

ENTRIES = (OPENVINO_EXP_FLUSH,)
