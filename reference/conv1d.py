"""1-D cross-correlation as torch.nn.Conv1d computes it: conv2d on an input one row high.

y[n, o, l] = b[o] + sum_{c, j} w[o, c, j] * xp[n, g*Cg + c, l*s + j*d], xp padded along L
in padding_mode: exactly reference.conv2d with a 1 x k kernel that slides along the
width alone, so the two share their window geometry, padding and VJP.
"""

import numpy as np

from reference.conv2d import conv2d_forward, conv2d_out_shape, conv2d_padding, conv2d_vjp
from reference.geometry import IntOrSingle, along_width, drop_unit_height, unit_height

Padding1d = int | tuple[int] | str


def _as_2d(padding: Padding1d) -> int | tuple[int, int] | str:
    """'same' and 'valid' read the same in 2-D; an amount pads the width alone."""
    return padding if isinstance(padding, str) else along_width(padding, 0)


def _weight_2d(weight: np.ndarray) -> np.ndarray:
    """(O, C/groups, k) as the (O, C/groups, 1, k) filter of a row-high image."""
    return unit_height(weight)


def conv1d_padding(kernel_size: IntOrSingle, dilation: IntOrSingle, padding: Padding1d) -> tuple:
    """(left, right) padding that torch applies for this padding argument."""
    _, _, left, right = conv2d_padding(
        along_width(kernel_size, 1), along_width(dilation, 1), _as_2d(padding)
    )
    return (left, right)


def conv1d_out_shape(
    in_shape: tuple[int, ...],
    out_channels: int,
    kernel_size: IntOrSingle,
    stride: IntOrSingle,
    padding: Padding1d,
    dilation: IntOrSingle,
) -> tuple[int, ...]:
    """Closed form: floor((L + pads - d*(k-1) - 1) / s) + 1."""
    shape_2d = conv2d_out_shape(
        (*in_shape[:-1], 1, in_shape[-1]),
        out_channels,
        along_width(kernel_size, 1),
        along_width(stride, 1),
        _as_2d(padding),
        along_width(dilation, 1),
    )
    return (*shape_2d[:-2], shape_2d[-1])


def conv1d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: IntOrSingle,
    padding: Padding1d,
    dilation: IntOrSingle,
    groups: int,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """torch.nn.functional.conv1d after padding x in padding_mode; (N, C, L) or (C, L)."""
    y = conv2d_forward(
        unit_height(x),
        _weight_2d(weight),
        bias,
        along_width(stride, 1),
        _as_2d(padding),
        along_width(dilation, 1),
        groups,
        padding_mode,
    )
    return drop_unit_height(y)


def conv1d_vjp(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: IntOrSingle,
    padding: Padding1d,
    dilation: IntOrSingle,
    groups: int,
    padding_mode: str,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradients of sum(conv1d_forward(...) * grad_y) w.r.t. input, weight and bias."""
    grads = conv2d_vjp(
        unit_height(x),
        _weight_2d(weight),
        bias,
        along_width(stride, 1),
        _as_2d(padding),
        along_width(dilation, 1),
        groups,
        padding_mode,
        unit_height(grad_y),
    )
    # The bias gradient has no height to drop; the input and weight gradients do.
    return {
        name: grad if name == "bias" else drop_unit_height(grad) for name, grad in grads.items()
    }
