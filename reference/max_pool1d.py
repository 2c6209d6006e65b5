"""1-D max pooling as torch.nn.MaxPool1d computes it: max_pool2d on an input one row high.

Window o holds the input positions o*s - p + i*d for i < k; positions outside the input
take no part (implicitly -inf), so a window of padding alone is -inf with no gradient.
y is the window's maximum; its gradient goes, whole, to the window's first (leftmost)
maximum. A 1 x k window that slides along the width alone: reference.max_pool2d's
windows, tie rule and VJP.
"""

import numpy as np

from reference.geometry import IntOrSingle, along_width, drop_unit_height, unit_height
from reference.max_pool2d import (
    has_empty_window,
    max_pool2d_forward,
    max_pool2d_out_shape,
    max_pool2d_vjp,
)


def _as_2d(
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None,
    padding: IntOrSingle,
    dilation: IntOrSingle,
) -> tuple:
    """The row-high window: kernel 1 x k, stride 1 x s (None stays the kernel), padding
    (0, p), dilation 1 x d."""
    strides = None if stride is None else along_width(stride, 1)
    return (
        along_width(kernel_size, 1),
        strides,
        along_width(padding, 0),
        along_width(dilation, 1),
    )


def _row_high(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[:-1], 1, shape[-1])


def max_pool1d_out_shape(
    in_shape: tuple[int, ...],
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None = None,
    padding: IntOrSingle = 0,
    dilation: IntOrSingle = 1,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Closed form: floor-or-ceil((L + 2p - d(k-1) - 1) / s) + 1, less a dropped window."""
    window = _as_2d(kernel_size, stride, padding, dilation)
    shape_2d = max_pool2d_out_shape(_row_high(in_shape), *window, ceil_mode)
    return (*shape_2d[:-2], shape_2d[-1])


def max_pool1d_has_empty_window(
    in_shape: tuple[int, ...],
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None = None,
    padding: IntOrSingle = 0,
    dilation: IntOrSingle = 1,
    ceil_mode: bool = False,
) -> bool:
    """Whether some window holds no input element at all (only padding or overhang)."""
    window = _as_2d(kernel_size, stride, padding, dilation)
    return has_empty_window(_row_high(in_shape), *window, ceil_mode)


def max_pool1d_forward(
    x: np.ndarray,
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None = None,
    padding: IntOrSingle = 0,
    dilation: IntOrSingle = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """The maximum of each window's real elements, on (N, C, L) or (C, L)."""
    window = _as_2d(kernel_size, stride, padding, dilation)
    return drop_unit_height(max_pool2d_forward(unit_height(x), *window, ceil_mode))


def max_pool1d_vjp(
    x: np.ndarray,
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None,
    padding: IntOrSingle,
    dilation: IntOrSingle,
    ceil_mode: bool,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each window's gradient added at the position of its first maximum."""
    window = _as_2d(kernel_size, stride, padding, dilation)
    grads = max_pool2d_vjp(unit_height(x), *window, ceil_mode, unit_height(grad_y))
    return {"input": drop_unit_height(grads["input"])}
