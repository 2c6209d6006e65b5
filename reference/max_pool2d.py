"""2-D max pooling as torch.nn.MaxPool2d computes it: forward, VJP and output shape.

Window o of a spatial dim holds the input positions o*s - p + i*d for i < k; positions
outside the input (padding, or past its end in ceil mode) take no part: implicitly -inf.
y is the window's maximum (-inf for a window with no real element, which dilation makes
possible: its gradient is then zero). Its gradient goes, whole, to ONE position: the
first maximum in row-major order over the kernel (kh, then kw), which is the one torch's
kernels record (they replace the running maximum only on a strictly greater value, so
ties keep the earliest). A position that is the chosen maximum of several windows
collects the sum of their gradients.
"""

import numpy as np

from reference.geometry import IntOrPair, pair


def _out_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil: bool) -> int:
    """Number of windows along one dim (torch's pooling_output_shape, with dilation)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil else span // stride) + 1
    # A ceil-mode window that would start in the right padding is dropped.
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _geometry(
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> tuple[tuple[int, int], ...]:
    kernel = pair(kernel_size)
    return kernel, kernel if stride is None else pair(stride), pair(padding), pair(dilation)


def max_pool2d_out_shape(
    in_shape: tuple[int, ...],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Closed form: floor-or-ceil((H + 2p - d(k-1) - 1) / s) + 1 per dim, less a dropped window."""
    kernel, strides, pads, dilations = _geometry(kernel_size, stride, padding, dilation)
    out = tuple(
        _out_size(size, k, s, p, d, ceil_mode)
        for size, k, s, p, d in zip(in_shape[-2:], kernel, strides, pads, dilations, strict=True)
    )
    return (*in_shape[:-2], *out)


def _positions(size: int, kernel: int, stride: int, pad: int, dilation: int, out: int):
    """(out, kernel) input positions of every window tap along one dim, and which are real."""
    taps = np.arange(out)[:, None] * stride - pad + np.arange(kernel)[None, :] * dilation
    return np.clip(taps, 0, size - 1), (taps >= 0) & (taps < size)


def _choices(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    ceil_mode: bool,
) -> tuple[np.ndarray, ...]:
    """Per output: its value and the (row, col) input position of its first maximum."""
    x = np.asarray(x, dtype=np.float64)
    kernel, strides, pads, dilations = _geometry(kernel_size, stride, padding, dilation)
    height, width = x.shape[-2:]
    out_h, out_w = max_pool2d_out_shape(x.shape, kernel_size, stride, padding, dilation, ceil_mode)[
        -2:
    ]
    rows, row_real = _positions(height, kernel[0], strides[0], pads[0], dilations[0], out_h)
    cols, col_real = _positions(width, kernel[1], strides[1], pads[1], dilations[1], out_w)
    # (..., out_h, out_w, k_h, k_w): every tap of every window; taps outside are -inf.
    taps = x[..., rows[:, None, :, None], cols[None, :, None, :]]
    real = row_real[:, None, :, None] & col_real[None, :, None, :]
    taps = np.where(real, taps, -np.inf).reshape(*x.shape[:-2], out_h, out_w, -1)
    # argmax returns the first maximum in row-major (kh, kw) order, as torch records it.
    first = np.argmax(taps, axis=-1)
    value = np.take_along_axis(taps, first[..., None], axis=-1)[..., 0]
    k_row, k_col = np.divmod(first, kernel[1])
    out_rows = rows[np.arange(out_h)[:, None], k_row]
    out_cols = cols[np.arange(out_w)[None, :], k_col]
    # With dilation a window can hold no real element at all (every tap in the padding or
    # past the end): its output is -inf, constant in x, and its gradient goes nowhere.
    empty = np.broadcast_to(~real.any(axis=(-2, -1)), value.shape)
    return value, out_rows, out_cols, empty


def has_empty_window(
    in_shape: tuple[int, ...],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> bool:
    """Whether some window holds no input element at all (only padding or overhang)."""
    kernel, strides, pads, dilations = _geometry(kernel_size, stride, padding, dilation)
    out = max_pool2d_out_shape(in_shape, kernel_size, stride, padding, dilation, ceil_mode)[-2:]
    for size, k, s, p, d, n in zip(
        in_shape[-2:], kernel, strides, pads, dilations, out, strict=True
    ):
        _, real = _positions(size, k, s, p, d, n)
        if not real.any(axis=1).all():
            return True
    return False


def max_pool2d_forward(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """The maximum of each window's real elements."""
    return _choices(x, kernel_size, stride, padding, dilation, ceil_mode)[0]


def max_pool2d_vjp(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    ceil_mode: bool,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each window's gradient added at the position of its first maximum."""
    x = np.asarray(x, dtype=np.float64)
    _, rows, cols, empty = _choices(x, kernel_size, stride, padding, dilation, ceil_mode)
    grad_y = np.where(empty, 0.0, np.asarray(grad_y, dtype=np.float64))
    lead = x.shape[:-2]
    grad = np.zeros((int(np.prod(lead, dtype=np.int64)), *x.shape[-2:]))
    flat_rows = rows.reshape(-1, rows.shape[-2] * rows.shape[-1])
    flat_cols = cols.reshape(-1, cols.shape[-2] * cols.shape[-1])
    flat_grad = np.asarray(grad_y, dtype=np.float64).reshape(flat_rows.shape)
    channel = np.repeat(np.arange(grad.shape[0]), flat_rows.shape[1])
    np.add.at(grad, (channel, flat_rows.ravel(), flat_cols.ravel()), flat_grad.ravel())
    return {"input": grad.reshape(x.shape)}
