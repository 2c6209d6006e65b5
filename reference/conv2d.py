"""2-D cross-correlation as torch.nn.Conv2d computes it: forward, VJP and output shape.

y[n, o, h, w] = b[o] + sum_{c, i, j} w[o, c, i, j] * xp[n, g*Cg + c, h*sH + i*dH, w*sW + j*dW]
where xp is x padded in padding_mode and g = o // (O / groups) is the group of filter o.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference.geometry import IntOrPair, pair
from reference.padding import pad2d, pad2d_vjp

Padding = int | tuple[int, int] | str


def conv2d_padding(
    kernel_size: IntOrPair, dilation: IntOrPair, padding: Padding
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) padding that torch applies for this padding argument."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        # torch puts the smaller half of an odd total on the top/left side.
        (k_h, k_w), (d_h, d_w) = pair(kernel_size), pair(dilation)
        total_h, total_w = d_h * (k_h - 1), d_w * (k_w - 1)
        return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    p_h, p_w = pair(padding)
    return (p_h, p_h, p_w, p_w)


def conv2d_out_shape(
    in_shape: tuple[int, ...],
    out_channels: int,
    kernel_size: IntOrPair,
    stride: IntOrPair,
    padding: Padding,
    dilation: IntOrPair,
) -> tuple[int, ...]:
    """Closed form: floor((H + pads - d*(k-1) - 1) / s) + 1 per spatial dim."""
    top, bottom, left, right = conv2d_padding(kernel_size, dilation, padding)
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = pair(kernel_size), pair(stride), pair(dilation)
    height, width = in_shape[-2], in_shape[-1]
    out_h = (height + top + bottom - d_h * (k_h - 1) - 1) // s_h + 1
    out_w = (width + left + right - d_w * (k_w - 1) - 1) // s_w + 1
    return (*in_shape[:-3], out_channels, out_h, out_w)


def _windows(
    x_padded: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """View (N, C, OH, OW, kH, kW) of the input patch behind every output pixel (no copy)."""
    (k_h, k_w), (s_h, s_w), (d_h, d_w) = kernel, stride, dilation
    span = (d_h * (k_h - 1) + 1, d_w * (k_w - 1) + 1)
    return sliding_window_view(x_padded, span, axis=(2, 3))[:, :, ::s_h, ::s_w, ::d_h, ::d_w]


def _im2col(windows: np.ndarray, groups: int) -> np.ndarray:
    """Patches as matrices (groups, Cg*kH*kW, N*OH*OW) so each group's conv is one matmul."""
    n, c, out_h, out_w, k_h, k_w = windows.shape
    # Channel-major order puts each group's channels in one contiguous block of rows.
    columns = windows.transpose(1, 4, 5, 0, 2, 3)
    return columns.reshape(groups, (c // groups) * k_h * k_w, n * out_h * out_w)


def _batched(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """An unbatched (C, H, W) input is a batch of one; remember to drop that axis again."""
    x = np.asarray(x, dtype=np.float64)
    return (x[None], True) if x.ndim == 3 else (x, False)


def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: IntOrPair,
    padding: Padding,
    dilation: IntOrPair,
    groups: int,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """torch.nn.functional.conv2d after padding x in padding_mode."""
    x, unbatched = _batched(x)
    weight = np.asarray(weight, dtype=np.float64)
    out_channels, _, k_h, k_w = weight.shape
    kernel = (k_h, k_w)
    x_padded = pad2d(x, *conv2d_padding(kernel, dilation, padding), padding_mode)
    windows = _windows(x_padded, kernel, pair(stride), pair(dilation))
    n, _, out_h, out_w = windows.shape[:4]
    # One matmul per group: (O/groups, Cg*kH*kW) @ (Cg*kH*kW, N*OH*OW).
    filters = weight.reshape(groups, out_channels // groups, -1)
    y = filters @ _im2col(windows, groups)
    y = y.reshape(out_channels, n, out_h, out_w).transpose(1, 0, 2, 3)
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)[:, None, None]
    return y[0] if unbatched else y


def conv2d_vjp(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: IntOrPair,
    padding: Padding,
    dilation: IntOrPair,
    groups: int,
    padding_mode: str,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradients of sum(conv2d_forward(...) * grad_y) w.r.t. input, weight and bias."""
    x, unbatched = _batched(x)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    grad_y = grad_y[None] if unbatched else grad_y
    weight = np.asarray(weight, dtype=np.float64)
    out_channels, _, k_h, k_w = weight.shape
    kernel, strides, dilations = (k_h, k_w), pair(stride), pair(dilation)
    pads = conv2d_padding(kernel, dilation, padding)
    x_padded = pad2d(x, *pads, padding_mode)
    windows = _windows(x_padded, kernel, strides, dilations)
    n, channels, out_h, out_w = windows.shape[:4]

    # grad_y as (groups, O/groups, N*OH*OW), the layout of the forward's matmul output.
    grad_rows = grad_y.transpose(1, 0, 2, 3).reshape(groups, out_channels // groups, -1)

    grad_weight = (grad_rows @ _im2col(windows, groups).transpose(0, 2, 1)).reshape(weight.shape)

    # Each patch's gradient is the filters times grad_y; patches overlap, so add them back
    # into the padded input one kernel offset at a time (col2im).
    filters = weight.reshape(groups, out_channels // groups, -1)
    grad_cols = filters.transpose(0, 2, 1) @ grad_rows
    grad_cols = grad_cols.reshape(channels, k_h, k_w, n, out_h, out_w)
    grad_padded = np.zeros((channels, n, *x_padded.shape[2:]))
    (s_h, s_w), (d_h, d_w) = strides, dilations
    for i in range(k_h):
        for j in range(k_w):
            rows = slice(i * d_h, i * d_h + s_h * (out_h - 1) + 1, s_h)
            cols = slice(j * d_w, j * d_w + s_w * (out_w - 1) + 1, s_w)
            grad_padded[:, :, rows, cols] += grad_cols[:, i, j]
    grad_padded = grad_padded.transpose(1, 0, 2, 3)
    grad_x = pad2d_vjp(grad_padded, *pads, padding_mode)

    grads = {"input": grad_x[0] if unbatched else grad_x, "weight": grad_weight}
    if bias is not None:
        grads["bias"] = grad_y.sum(axis=(0, 2, 3))
    return grads
