"""1-D average pooling as torch.nn.AvgPool1d computes it: avg_pool2d on an input one row high.

Window o covers [o*s - p, o*s - p + k) of the input, zero-padded by p at each end; y is
the sum over the window divided by the window clipped to the padded extent
(count_include_pad) or by the real input elements in it. A 1 x k window that slides
along the width alone: reference.avg_pool2d's windows, divisors and VJP. (AvgPool1d has
no divisor_override.)
"""

import numpy as np

from reference.avg_pool2d import avg_pool2d_forward, avg_pool2d_out_shape, avg_pool2d_vjp
from reference.geometry import IntOrSingle, along_width, drop_unit_height, unit_height


def _as_2d(
    kernel_size: IntOrSingle, stride: IntOrSingle | None, padding: IntOrSingle
) -> tuple[tuple[int, int], tuple[int, int] | None, tuple[int, int]]:
    """The row-high window: kernel 1 x k, stride 1 x s (None stays the kernel), padding 0, p."""
    strides = None if stride is None else along_width(stride, 1)
    return along_width(kernel_size, 1), strides, along_width(padding, 0)


def avg_pool1d_out_shape(
    in_shape: tuple[int, ...],
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None,
    padding: IntOrSingle,
    ceil_mode: bool,
) -> tuple[int, ...]:
    """Closed form: floor-or-ceil((L + 2p - k) / s) + 1, less a dropped window."""
    shape_2d = avg_pool2d_out_shape(
        (*in_shape[:-1], 1, in_shape[-1]), *_as_2d(kernel_size, stride, padding), ceil_mode
    )
    return (*shape_2d[:-2], shape_2d[-1])


def avg_pool1d_forward(
    x: np.ndarray,
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None = None,
    padding: IntOrSingle = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """torch.nn.functional.avg_pool1d on (N, C, L) or (C, L)."""
    y = avg_pool2d_forward(
        unit_height(x), *_as_2d(kernel_size, stride, padding), ceil_mode, count_include_pad
    )
    return drop_unit_height(y)


def avg_pool1d_vjp(
    x: np.ndarray,
    kernel_size: IntOrSingle,
    stride: IntOrSingle | None,
    padding: IntOrSingle,
    ceil_mode: bool,
    count_include_pad: bool,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradient of sum(avg_pool1d_forward(...) * grad_y) w.r.t. the input."""
    grads = avg_pool2d_vjp(
        unit_height(x),
        *_as_2d(kernel_size, stride, padding),
        ceil_mode,
        count_include_pad,
        None,
        unit_height(grad_y),
    )
    return {"input": drop_unit_height(grads["input"])}
