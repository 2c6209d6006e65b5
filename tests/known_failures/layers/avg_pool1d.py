"""AvgPool1d's known failures: the openvino backend's guard failure (Conv2d's entry)."""

from __future__ import annotations

import torch

from tests.known_failures.entry import KnownFailure, Observed
from tests.known_failures.layers import conv2d
from tests.paths.routing import on_path

LAYER = "AvgPool1d"


def openvino_fake_mode_guard() -> None:
    pool = torch.nn.AvgPool1d(2, stride=5, padding=1, ceil_mode=True)
    x = torch.randn(1, 1, 10)
    try:
        y = on_path("compile:openvino", pool)(x)
    except Exception as error:  # dynamo's guard builder, not the layer
        raise AssertionError(f"{type(error).__name__}: {str(error)[:200]}") from error
    assert torch.allclose(y, pool(x)), (y, pool(x))


OPENVINO_FAKE_MODE_GUARD = KnownFailure(
    id="avg_pool1d-openvino-fake-mode-guard",
    layer=LAYER,
    breaks=conv2d.OPENVINO_FAKE_MODE_GUARD.breaks,
    paths=conv2d.OPENVINO_FAKE_MODE_GUARD.paths,
    covers=conv2d.OPENVINO_FAKE_MODE_GUARD.covers,
    repro=openvino_fake_mode_guard,
    observed=Observed(since="2.13.0"),
    summary=conv2d.OPENVINO_FAKE_MODE_SUMMARY.replace(
        "Conv2d(1, 1, 2) on a (1, 1, 3, 3) input raises",
        "AvgPool1d(2, stride=5, padding=1, ceil_mode=True) on (1, 1, 10) raises",
    ),
    upstream=conv2d.OPENVINO_FAKE_MODE_UPSTREAM,
)

ENTRIES = (OPENVINO_FAKE_MODE_GUARD,)
