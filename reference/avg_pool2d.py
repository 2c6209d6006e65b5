"""2-D average pooling as torch.nn.AvgPool2d computes it: forward, VJP and output shape.

Window o of a spatial dim covers [o*s - p, o*s - p + k) of the input, zero-padded by p on
each side; y = sum over the window / divisor, where the divisor is the window clipped to
the padded extent (count_include_pad), or the real input elements in it, or divisor_override.
"""

from typing import NamedTuple

import numpy as np

from reference.geometry import IntOrPair, pair


def _out_size(size: int, kernel: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """Number of windows along one dim (torch's pooling_output_shape)."""
    span = size + 2 * pad - kernel
    steps = -(-span // stride) if ceil_mode else span // stride
    out = steps + 1
    # A ceil-mode window that would start in the right padding is dropped.
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def avg_pool2d_out_shape(
    in_shape: tuple[int, ...],
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    ceil_mode: bool,
) -> tuple[int, ...]:
    """Closed form: floor-or-ceil((H + 2p - k) / s) + 1 per spatial dim, less a dropped window."""
    kernel = pair(kernel_size)
    strides = kernel if stride is None else pair(stride)
    pads = pair(padding)
    out = tuple(
        _out_size(size, k, s, p, ceil_mode)
        for size, k, s, p in zip(in_shape[-2:], kernel, strides, pads, strict=True)
    )
    return (*in_shape[:-2], *out)


def _divisor_1d(
    size: int, kernel: int, stride: int, pad: int, out: int, include_pad: bool
) -> np.ndarray:
    """Per-window count along one dim: clipped to the padded extent, or to the real input."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, size) - np.maximum(start, 0)).astype(np.float64)


class _Windows(NamedTuple):
    """Where the windows lie along each spatial dim (height first)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    size: tuple[int, int]
    out: tuple[int, int]

    def per_dim(self) -> list[tuple[int, int, int, int, int]]:
        """(size, kernel, stride, pad, out) for height, then width."""
        return list(zip(self.size, self.kernel, self.stride, self.pad, self.out, strict=True))

    def zeros_around(self) -> list[tuple[int, int]]:
        """Zeros before and after each dim so every window, even a ceil-mode overhang, fits."""
        return [(p, max(p, (o - 1) * s + k - n - p)) for n, k, s, p, o in self.per_dim()]

    def offsets(self) -> list[tuple[slice, slice]]:
        """For each kernel offset (i, j), the padded-input slices that it visits in every window."""
        (k_h, k_w), (s_h, s_w), (out_h, out_w) = self.kernel, self.stride, self.out
        return [
            (slice(i, i + s_h * (out_h - 1) + 1, s_h), slice(j, j + s_w * (out_w - 1) + 1, s_w))
            for i in range(k_h)
            for j in range(k_w)
        ]

    def divisor(self, count_include_pad: bool, divisor_override: int | None) -> np.ndarray:
        """The (OH, OW) divisors; a window is a rectangle, so its count is a product."""
        if divisor_override is not None:
            return np.float64(divisor_override)
        rows, cols = (_divisor_1d(*dim, count_include_pad) for dim in self.per_dim())
        return np.outer(rows, cols)


def _windows(
    in_shape: tuple[int, ...],
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    ceil_mode: bool,
) -> _Windows:
    """Resolve torch's argument conventions: an int is both dims, stride None is the kernel."""
    kernel = pair(kernel_size)
    strides = kernel if stride is None else pair(stride)
    pads = pair(padding)
    size = (in_shape[-2], in_shape[-1])
    out = avg_pool2d_out_shape(in_shape, kernel, strides, pads, ceil_mode)[-2:]
    return _Windows(kernel, strides, pads, size, (out[0], out[1]))


def avg_pool2d_forward(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """torch.nn.functional.avg_pool2d on (N, C, H, W) or (C, H, W)."""
    x = np.asarray(x, dtype=np.float64)
    geo = _windows(x.shape, kernel_size, stride, padding, ceil_mode)
    # Padding adds zeros, which change no sum; the divisor alone decides whether they count.
    x_padded = np.pad(x, [(0, 0)] * (x.ndim - 2) + geo.zeros_around())
    sums = np.zeros((*x.shape[:-2], *geo.out))
    # Summing one kernel offset at a time over all windows beats reducing a window view.
    for rows, cols in geo.offsets():
        sums += x_padded[..., rows, cols]
    return sums / geo.divisor(count_include_pad, divisor_override)


def avg_pool2d_vjp(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradient of sum(avg_pool2d_forward(...) * grad_y) w.r.t. the input."""
    x = np.asarray(x, dtype=np.float64)
    geo = _windows(x.shape, kernel_size, stride, padding, ceil_mode)
    share = np.asarray(grad_y, dtype=np.float64) / geo.divisor(count_include_pad, divisor_override)
    (top, bottom), (left, right) = geo.zeros_around()
    height, width = geo.size
    grad_padded = np.zeros((*x.shape[:-2], top + height + bottom, left + width + right))
    # Every element of a window receives the window's share; windows overlap when s < k,
    # so add the shares in one kernel offset at a time.
    for rows, cols in geo.offsets():
        grad_padded[..., rows, cols] += share
    return {"input": grad_padded[..., top : top + height, left : left + width]}
