"""MaxPool2d's known torch failures."""

from __future__ import annotations

import torch

from spec.layers.max_pool2d import WINDOW_CLASSES
from tests.known_failures.entry import FIRST_CUDA_RUN, Check, KnownFailure, Observed, Where
from tests.known_failures.layers import conv2d
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "MaxPool2d"
EMPTY_WINDOW = WINDOW_CLASSES[1]


def _empty_pooling_window(where: Where) -> bool:
    """Some window holds no input element (the spec's window class, from the reference
    geometry)."""
    return where.x is not None and where.classes["window"] == EMPTY_WINDOW


def empty_window_backward(path: str) -> None:
    # Kernel 2, dilation 2, padding 1 on 1x1 planes: the one window's taps (-1 and 1) are
    # both outside, so its output is -inf, constant in x, and every gradient is 0.
    x = torch.randn(4, 1, 1, 1, requires_grad=True)
    y = on_path(path, torch.nn.MaxPool2d(2, stride=1, padding=1, dilation=2))(x)
    try:
        y.backward(torch.ones_like(y))
    except RuntimeError as error:  # inductor's kernel checks the index it was handed
        raise AssertionError(f"backward raised: {error}") from error
    # torch records the window's first tap past the input and writes there: into the next
    # planes (a wrong gradient) or past the tensor (heap corruption, often a crash).
    assert torch.equal(x.grad, torch.zeros_like(x)), x.grad.flatten()


EMPTY_WINDOW_BACKWARD = KnownFailure(
    id="max_pool2d-empty-window-backward",
    layer=LAYER,
    breaks=Check.SURVIVES,
    isolate=True,
    covers=_empty_pooling_window,
    paths=running_kernels("aten", "inductor"),
    repro=empty_window_backward,
    observed=Observed(since="2.13.0"),
    summary=(
        "MaxPool2d accepts a dilation and padding for which a window holds no input "
        "element (forward: -inf); its backward then writes that window's gradient at "
        "the first tap past the input, out of the plane: a wrong gradient in the next "
        "planes or heap corruption ('double free or corruption', SIGABRT). Found by "
        "the gradients property: a crashed worker. Paths running eager's kernel share "
        "it; inductor's compiled backward raises an out-of-bounds index error instead"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/issues/114216 (open: the -inf "
        "forward of the same configurations; the maintainers would reject them)"
    ),
)


def onnx_empty_window() -> None:
    pool = torch.nn.MaxPool2d(2, padding=(1, 0), dilation=2, ceil_mode=True)
    y = on_path("onnxruntime", pool)(torch.tensor([[[[1.0, 2.0]]]]))
    # The window's taps (rows -1 and 1) are both outside the one-row input: torch's
    # forward gives -inf, the max over nothing.
    assert y.item() == float("-inf"), f"onnxruntime {y.item()}, torch -inf"


ONNX_EMPTY_WINDOW = KnownFailure(
    id="max_pool2d-onnx-empty-window",
    layer=LAYER,
    breaks=Check.VALUES,
    paths=running_kernels("onnxruntime"),
    covers=_empty_pooling_window,
    repro=onnx_empty_window,
    observed=Observed(since="2.13.0"),
    summary=(
        "MaxPool2d exported to ONNX returns the lowest finite float (-3.4e38) for a "
        "window that holds no input element, where torch returns -inf, the max over "
        "nothing (configurations torch accepts with dilation, padding and ceil_mode)"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/issues/114216 (open: the -inf "
        "forward of the same configurations)"
    ),
)


def openvino_fake_mode_guard() -> None:
    pool = torch.nn.MaxPool2d((2, 1), stride=(1, 3), padding=(1, 0), dilation=(3, 2))
    x = torch.randn(1, 5, 5)
    try:
        y = on_path("compile:openvino", pool)(x)
    except Exception as error:  # dynamo's guard builder, not the layer
        raise AssertionError(f"{type(error).__name__}: {str(error)[:200]}") from error
    assert torch.equal(y, pool(x)), (y, pool(x))


OPENVINO_FAKE_MODE_GUARD = KnownFailure(
    id="max_pool2d-openvino-fake-mode-guard",
    layer=LAYER,
    breaks=conv2d.OPENVINO_FAKE_MODE_GUARD.breaks,
    paths=conv2d.OPENVINO_FAKE_MODE_GUARD.paths,
    covers=conv2d.OPENVINO_FAKE_MODE_GUARD.covers,
    repro=openvino_fake_mode_guard,
    observed=Observed(since="2.13.0"),
    summary=conv2d.OPENVINO_FAKE_MODE_SUMMARY.replace(
        "Conv2d(1, 1, 2) on a (1, 1, 3, 3) input raises",
        "MaxPool2d((2, 1), stride=(1, 3), padding=(1, 0), dilation=(3, 2)) on (1, 5, 5) raises",
    ),
    upstream=conv2d.OPENVINO_FAKE_MODE_UPSTREAM,
)


def cuda_empty_window_backward() -> None:
    # Each plane's windows have their column taps (-1 and 1) outside the one-column
    # input: every output is -inf, constant in x, and every gradient is 0.
    pool = torch.nn.MaxPool2d(2, padding=1, dilation=2)
    for layout in (torch.contiguous_format, torch.channels_last):
        x = torch.tensor([0.125, -0.125, 0.625, 0.125, 0.5, -0.5], device="cuda")
        x = x.reshape(1, 2, 3, 1).contiguous(memory_format=layout).requires_grad_()
        y = pool(x)
        y.backward(torch.full_like(y, -0.132))
        assert torch.equal(x.grad, torch.zeros_like(x)), (layout, x.grad.flatten().tolist())


CUDA_EMPTY_WINDOW = KnownFailure(
    id="max_pool2d-cuda-empty-window-backward",
    layer=LAYER,
    breaks=Check.VALUES,
    quantities=("input",),
    devices=("cuda",),
    covers=_empty_pooling_window,
    isolate=True,
    repro=cuda_empty_window_backward,
    observed=FIRST_CUDA_RUN,
    summary=(
        "CUDA MaxPool2d's backward gives a window that holds no input element (padding "
        "and dilation put every tap outside; forward -inf) a gradient, in either layout: "
        "kernel 2, padding 1, dilation 2 on a (2, 3, 1) input writes the window's "
        "grad_output (-0.132) into an element of its plane, where the law is 0; all four "
        "dtypes (the CPU's is the recorded max_pool2d-empty-window-backward). The first "
        "CUDA run saw it with channels_last alone (by the layouts property); the second "
        "with the contiguous layout too (gradients and layouts)"
    ),
    upstream="related: https://github.com/pytorch/pytorch/issues/114216 (open)",
)

ENTRIES = (
    EMPTY_WINDOW_BACKWARD,
    CUDA_EMPTY_WINDOW,
    ONNX_EMPTY_WINDOW,
    OPENVINO_FAKE_MODE_GUARD,
)
