"""MaxPool1d's known torch failures: MaxPool2d's empty-window backward, on one dimension."""

from __future__ import annotations

import torch

from reference.max_pool1d import max_pool1d_has_empty_window
from tests.known_failures.entry import SECOND_CUDA_RUN, Check, KnownFailure, Observed, Where
from tests.known_failures.layers import max_pool2d as two_d
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "MaxPool1d"


def _empty_window(where: Where) -> bool:
    """Some window holds no input element (the reference geometry says so)."""
    arguments = where.arguments
    return where.x is not None and max_pool1d_has_empty_window(
        where.x.shape,
        arguments["kernel_size"],
        arguments["stride"],
        arguments["padding"],
        arguments["dilation"],
        arguments["ceil_mode"],
    )


def empty_window_backward(path: str) -> None:
    # Kernel 2, dilation 2, padding 1 on length-1 rows: the window's taps (-1 and 1) are
    # both outside, so its output is -inf, constant in x, and every gradient is 0.
    x = torch.randn(4, 1, 1, requires_grad=True)
    y = on_path(path, torch.nn.MaxPool1d(2, stride=1, padding=1, dilation=2))(x)
    try:
        y.backward(torch.ones_like(y))
    except RuntimeError as error:
        raise AssertionError(f"backward raised: {error}") from error
    assert torch.equal(x.grad, torch.zeros_like(x)), x.grad.flatten()


EMPTY_WINDOW_BACKWARD = KnownFailure(
    id="max_pool1d-empty-window-backward",
    layer=LAYER,
    breaks=Check.SURVIVES,
    isolate=True,
    covers=_empty_window,
    paths=two_d.EMPTY_WINDOW_BACKWARD.paths,
    repro=empty_window_backward,
    observed=Observed(since="2.13.0"),
    summary=(
        "MaxPool1d, as MaxPool2d, accepts a dilation and padding for which a window holds no "
        "input element and its backward writes that window's gradient out of the row: "
        "x.grad [0, 1, 1, 1] for MaxPool1d(2, stride=1, padding=1, dilation=2) on (4, 1, 1) "
        "where it is 0, a worker hung in malloc or killed by heap corruption. Found by the "
        "gradients and gradcheck properties"
    ),
    upstream=two_d.EMPTY_WINDOW_BACKWARD.upstream,
)


def openvino_empty_window() -> None:
    pool = torch.nn.MaxPool1d(2, padding=1, dilation=2, ceil_mode=True)
    y = on_path("compile:openvino", pool)(torch.tensor([[[0.125]]]))
    # The window's taps (-1 and 1) are both outside the length-1 input: torch's forward
    # gives -inf, the max over nothing.
    assert y.item() == float("-inf"), f"openvino {y.item()}, torch -inf"


OPENVINO_EMPTY_WINDOW = KnownFailure(
    id="max_pool1d-openvino-empty-window",
    layer=LAYER,
    breaks=Check.VALUES,
    paths=running_kernels("openvino"),
    covers=_empty_window,
    repro=openvino_empty_window,
    observed=Observed(since="2.13.0"),
    summary=(
        "MaxPool1d compiled by torch.compile(backend='openvino') (openvino 2026.4.1) "
        "returns the lowest finite float (-3.4028e38) for a window that holds no input "
        "element, where torch returns -inf, the max over nothing (as onnxruntime's "
        "MaxPool2d does; MaxPool2d on this path raises first, its fake-mode guard entry)"
    ),
    upstream=two_d.ONNX_EMPTY_WINDOW.upstream,
)


def cuda_empty_window_backward() -> None:
    x = torch.tensor([0.125, -0.5, 0.25, 1.0], dtype=torch.float64, device="cuda")
    x = x.reshape(4, 1, 1).requires_grad_()
    y = torch.nn.MaxPool1d(2, stride=1, padding=1, dilation=2)(x)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)
    # Each row's one window has its taps (-1 and 1) outside: the gradient is 0, and so
    # is its derivative in grad_output.
    assert torch.equal(grad, torch.zeros_like(grad)), grad.flatten().tolist()
    try:
        (second,) = torch.autograd.grad(grad.sum(), x, allow_unused=True, materialize_grads=True)
        zero = torch.equal(second, torch.zeros_like(x))  # waits for the kernel
    except RuntimeError as error:  # a device-side assert: the gather's index is out of range
        raise AssertionError(f"double backward raised: {error}") from error
    assert zero, second.flatten().tolist()


CUDA_EMPTY_WINDOW_BACKWARD = KnownFailure(
    id="max_pool1d-cuda-empty-window-backward",
    layer=LAYER,
    breaks=frozenset({Check.VALUES, Check.SURVIVES}),
    quantities=("input",),
    isolate=True,
    devices=("cuda",),
    covers=_empty_window,
    repro=cuda_empty_window_backward,
    observed=SECOND_CUDA_RUN,
    summary=(
        "CUDA MaxPool1d, as CUDA MaxPool2d (max_pool2d-cuda-empty-window-backward), gives "
        "a window that holds no input element a gradient, and its double backward "
        "gathers at that window's recorded index, out of the row: a device-side assert "
        "('scatter gather kernel index out of bounds') that leaves the worker's CUDA "
        "context unusable, so every later CUDA test of that worker failed. Found by the "
        "gradcheck property of the second CUDA run"
    ),
    upstream=two_d.EMPTY_WINDOW_BACKWARD.upstream,
)

ENTRIES = (EMPTY_WINDOW_BACKWARD, CUDA_EMPTY_WINDOW_BACKWARD, OPENVINO_EMPTY_WINDOW)
