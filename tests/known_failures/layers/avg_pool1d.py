"""AvgPool1d's known failures: the openvino backend's guard failure (Conv2d's entry), and
inductor's ceil-mode backward (AvgPool2d's, met by the one-dimensional layer too)."""

from __future__ import annotations

import torch

from spec.layers.avg_pool1d import DIVISION_CLASSES, WINDOW_CLASSES
from tests.known_failures.entry import KnownFailure, Observed, Where
from tests.known_failures.layers import avg_pool2d, conv2d
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

# The classes of the calls inductor's backward divides wrongly: ceil mode, counting
# padding, and a last window running past the padded input.
CEIL_COUNTING_PADDING = "ceil_mode=True, count_include_pad=True"
OVERHANGS = WINDOW_CLASSES[1]
assert CEIL_COUNTING_PADDING in DIVISION_CLASSES


def _ceil_window_past_padding(where: Where) -> bool:
    if where.x is None:
        return False
    classes = where.classes
    return classes["division"] == CEIL_COUNTING_PADDING and classes["last window"] == OVERHANGS


def inductor_ceil_overhang_backward() -> None:
    pool = torch.nn.AvgPool1d(kernel_size=3, stride=2, ceil_mode=True)
    x = torch.tensor([[[1.0, 2.0, 3.0, 4.0]]], requires_grad=True)
    torch.compile(pool, backend="inductor", fullgraph=True)(x).sum().backward()
    # Windows [1, 2, 3] and, cut off by ceil mode at the input's end, [3, 4]: divided by
    # 3 and by 2 (count_include_pad counts padding, not the overhang past it).
    expected = torch.tensor([[[1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2]]])
    assert torch.allclose(x.grad, expected), x.grad


# AvgPool2d's bug met by this layer: its check, paths and scope are the twin's.
TWIN = avg_pool2d.INDUCTOR_CEIL_OVERHANG_BACKWARD
INDUCTOR_CEIL_OVERHANG_BACKWARD = KnownFailure(
    id="avg_pool1d-inductor-ceil-overhang-backward",
    layer=LAYER,
    breaks=TWIN.breaks,
    paths=TWIN.paths,
    covers=_ceil_window_past_padding,
    repro=inductor_ceil_overhang_backward,
    observed=TWIN.observed,
    summary=(
        "torch.compile (inductor) AvgPool1d backward with ceil_mode=True and "
        "count_include_pad=True divides the gradient of a last window that runs past the "
        "padded input by the full kernel size, as AvgPool2d's does "
        "(avg_pool2d-inductor-ceil-overhang-backward): AvgPool1d(3, stride=2, "
        "ceil_mode=True) on [1, 2, 3, 4] gives input gradient [1/3, 1/3, 2/3, 1/3] where "
        "eager and the law give [1/3, 1/3, 5/6, 1/2]; the forward is right. Found by the "
        "gradients property's corner pass on compile:inductor (2026-12-06); also on 2.14.1"
    ),
    upstream=TWIN.upstream,
)

ENTRIES = (OPENVINO_FAKE_MODE_GUARD, INDUCTOR_CEIL_OVERHANG_BACKWARD)
