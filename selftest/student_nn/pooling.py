"""AvgPool2d: window sums by Tensor.unfold over a zero-padded input, divided per window."""

from __future__ import annotations

import torch
from torch.nn import Module

from selftest.student_nn._util import pad2d, pair


def _out_size(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    span = size + 2 * p - k
    out = (-(-span // s) if ceil_mode else span // s) + 1
    # In ceil mode the last window must start inside the input or its left padding.
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class AvgPool2d(Module):
    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    @staticmethod
    def _window_lengths(size: int, out: int, k: int, s: int, p: int) -> tuple[list, list]:
        """Per output position along one dim: (window length clipped to the padded input,
        length clipped to the input itself)."""
        with_pad, inside = [], []
        for i in range(out):
            start = i * s - p
            end = min(start + k, size + p)
            with_pad.append(end - start)
            inside.append(min(end, size) - max(start, 0))
        return with_pad, inside

    def _check(self, x: torch.Tensor) -> tuple:
        if x.dim() < 3:
            # The channel dim is looked up first: a 2-D or smaller input has none.
            raise IndexError(f"Dimension out of range: input has {x.dim()} dims, need dim -3")
        if x.dim() > 4:
            raise RuntimeError(f"Expected 3D or 4D input to avg_pool2d, got {x.dim()}D")
        kernel, stride = pair(self.kernel_size), pair(self.stride)
        padding = pair(self.padding)
        if min(kernel) <= 0:
            raise RuntimeError("kernel size should be greater than zero")
        if min(stride) <= 0:
            raise RuntimeError("stride should be greater than zero")
        if min(padding) < 0:
            raise RuntimeError("pad must be non-negative")
        if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
            raise RuntimeError("pad should be at most half of effective kernel size")
        if self.divisor_override is not None and self.divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return kernel, stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (k_h, k_w), (s_h, s_w), (p_h, p_w) = self._check(x)
        h, w = x.shape[-2], x.shape[-1]
        h_out = _out_size(h, k_h, s_h, p_h, self.ceil_mode)
        w_out = _out_size(w, k_w, s_w, p_w, self.ceil_mode)
        if h_out < 1 or w_out < 1:
            raise RuntimeError(
                f"Given input size ({h}x{w}), calculated output size ({h_out}x{w_out}) is too small"
            )
        # Zero padding, plus extra zeros at the bottom/right for ceil mode's last window.
        extra_h = max(0, (h_out - 1) * s_h + k_h - (h + 2 * p_h))
        extra_w = max(0, (w_out - 1) * s_w + k_w - (w + 2 * p_w))
        padded = pad2d(x, p_h, p_h + extra_h, p_w, p_w + extra_w)
        windows = padded.unfold(-2, k_h, s_h).unfold(-2, k_w, s_w)
        sums = windows[..., :h_out, :w_out, :, :].sum(dim=(-2, -1))
        if self.divisor_override is not None:
            return sums / self.divisor_override
        with_pad_h, inside_h = self._window_lengths(h, h_out, k_h, s_h, p_h)
        with_pad_w, inside_w = self._window_lengths(w, w_out, k_w, s_w, p_w)
        lengths_h, lengths_w = (
            (with_pad_h, with_pad_w) if self.count_include_pad else (inside_h, inside_w)
        )
        options = {"dtype": x.dtype, "device": x.device}
        divisor = torch.tensor(lengths_h, **options)[:, None] * torch.tensor(lengths_w, **options)
        return sums / divisor

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
