"""AvgPool2d's known torch failures."""

from __future__ import annotations

import torch

from spec.layers.avg_pool2d import DIVISION_CLASSES, WINDOW_CLASSES
from tests.known_failures.entry import FIRST_CUDA_RUN, Check, KnownFailure, Observed, Where
from tests.known_failures.layers import conv2d
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "AvgPool2d"
# The spec's classes of the configurations inductor divides wrongly: ceil mode, counting
# padding, no divisor override, and a last window running past the padded input.
CEIL_COUNTING_PADDING = "ceil_mode=True, count_include_pad=True, divisor_override=None"
OVERHANGS = WINDOW_CLASSES[2]
assert CEIL_COUNTING_PADDING in DIVISION_CLASSES


def _ceil_window_past_padding(where: Where) -> bool:
    if where.x is None:
        return False
    classes = where.classes
    return classes["division"] == CEIL_COUNTING_PADDING and classes["window"] == OVERHANGS


def inductor_ceil_overhang_backward() -> None:
    pool = torch.nn.AvgPool2d(kernel_size=(1, 3), stride=(1, 2), ceil_mode=True)
    x = torch.tensor([[[[1.0, 2.0, 3.0, 4.0]]]], requires_grad=True)
    torch.compile(pool, backend="inductor", fullgraph=True)(x).sum().backward()
    # Windows [1, 2, 3] and, cut off by ceil mode at the input's end, [3, 4]: divided by
    # 3 and by 2 (count_include_pad counts padding, not the overhang past it).
    expected = torch.tensor([[[[1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2]]]])
    assert torch.allclose(x.grad, expected), x.grad


INDUCTOR_CEIL_OVERHANG_BACKWARD = KnownFailure(
    id="avg_pool2d-inductor-ceil-overhang-backward",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    paths=running_kernels("inductor"),
    covers=_ceil_window_past_padding,
    repro=inductor_ceil_overhang_backward,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.compile (inductor) AvgPool2d backward with ceil_mode=True and "
        "count_include_pad=True divides the gradient of a last window that runs past "
        "the padded input by the full kernel size, where the forward (and eager) divide "
        "by the window clipped to the padded input: a wrong input gradient"
    ),
    upstream="https://github.com/pytorch/pytorch/issues/198119 (open)",
)


def _divisor_override(where: Where) -> bool:
    return where.arguments["divisor_override"] is not None


def onnx_divisor_override() -> None:
    pool = torch.nn.AvgPool2d(2, divisor_override=1)  # window sums
    y = on_path("onnxruntime", pool)(torch.ones(1, 1, 2, 2))
    assert y.item() == 4.0, f"onnxruntime: {y.item()}, the window sum is 4.0"


ONNX_DIVISOR_OVERRIDE_IGNORED = KnownFailure(
    id="avg_pool2d-onnx-divisor-override-ignored",
    layer=LAYER,
    breaks=Check.VALUES,
    paths=running_kernels("onnxruntime"),
    covers=_divisor_override,
    repro=onnx_divisor_override,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.onnx.export (dynamo exporter) drops AvgPool2d's divisor_override: the "
        "ONNX AveragePool it emits divides by the window size, with no warning, so "
        "onnxruntime returns window means where torch returns sums over the override"
    ),
    upstream="not filed (no upstream issue found)",
)


def openvino_fake_mode_guard() -> None:
    pool = torch.nn.AvgPool2d(1, stride=2, ceil_mode=True)
    x = torch.randn(5, 4, 3)
    try:
        y = on_path("compile:openvino", pool)(x)
    except Exception as error:  # dynamo's guard builder, not the layer
        raise AssertionError(f"{type(error).__name__}: {str(error)[:200]}") from error
    assert torch.allclose(y, pool(x)), (y, pool(x))


OPENVINO_FAKE_MODE_GUARD = KnownFailure(
    id="avg_pool2d-openvino-fake-mode-guard",
    layer=LAYER,
    breaks=conv2d.OPENVINO_FAKE_MODE_GUARD.breaks,
    paths=conv2d.OPENVINO_FAKE_MODE_GUARD.paths,
    covers=conv2d.OPENVINO_FAKE_MODE_GUARD.covers,
    repro=openvino_fake_mode_guard,
    observed=Observed(since="2.13.0"),
    summary=conv2d.OPENVINO_FAKE_MODE_SUMMARY.replace(
        "Conv2d(1, 1, 2) on a (1, 1, 3, 3) input raises",
        "AvgPool2d(1, stride=2, ceil_mode=True) on (5, 4, 3) raises",
    ),
    upstream=conv2d.OPENVINO_FAKE_MODE_UPSTREAM,
)


def _channels_last_padded(where: Where) -> bool:
    padding = where.arguments["padding"]
    padded = any(padding) if isinstance(padding, tuple | list) else padding > 0
    return where.layout == "channels_last" and padded


def cuda_channels_last_padded_backward() -> None:
    pool = torch.nn.AvgPool2d(2, padding=1, count_include_pad=False)
    x = torch.tensor([0.125, -0.125, 0.625, 0.125], dtype=torch.float64, device="cuda")
    x = x.reshape(1, 2, 1, 2).contiguous(memory_format=torch.channels_last).requires_grad_()
    grad_y = torch.tensor([0.125, -0.125, 0.625, 0.125], dtype=torch.float64, device="cuda")
    pool(x).backward(grad_y.reshape(1, 2, 1, 2))
    # Each window holds one element (its padding uncounted): x.grad is grad_y.
    assert torch.equal(x.grad, grad_y.reshape(1, 2, 1, 2)), x.grad.flatten().tolist()


CUDA_CHANNELS_LAST_PADDED_BACKWARD = KnownFailure(
    id="avg_pool2d-cuda-channels-last-padded-backward",
    layer=LAYER,
    breaks=Check.VALUES,
    quantities=("input",),
    devices=("cuda",),
    covers=_channels_last_padded,
    repro=cuda_channels_last_padded_backward,
    observed=FIRST_CUDA_RUN,
    summary=(
        "CUDA AvgPool2d's channels_last backward maps input pixels to the wrong windows "
        "when padding > 0 (the NHWC kernel leaves the padding offset out of the pixel's "
        "coordinates): a (1, 2, 1, 2) input, kernel 2, padding 1, gives x.grad 0.640 "
        "where the law is 0.105, in all four dtypes; the output is right. Found by the "
        "layouts property of the first CUDA run"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/188344 (closed; fixed by pull 188345, "
        "merged 2026-07: which release first holds the fix was not checked here)"
    ),
)

ENTRIES = (
    CUDA_CHANNELS_LAST_PADDED_BACKWARD,
    INDUCTOR_CEIL_OVERHANG_BACKWARD,
    ONNX_DIVISOR_OVERRIDE_IGNORED,
    OPENVINO_FAKE_MODE_GUARD,
)
