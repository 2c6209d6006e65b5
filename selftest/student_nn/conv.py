"""Conv2d as im2col: padding by index arithmetic, windows by Tensor.unfold, one batched matmul."""

from __future__ import annotations

import torch
from torch.nn import Module, Parameter

from selftest.student_nn._util import pad2d, pair
from selftest.student_nn.linear import default_bound

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PADDING_STRINGS = ("same", "valid")


class Conv2d(Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.dilation = pair(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in PADDING_STRINGS:
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {PADDING_STRINGS}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: str | tuple[int, int] = padding
        else:
            self.padding = pair(padding, "padding")
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {PADDING_MODES}, but got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.groups = groups
        self.padding_mode = padding_mode
        options = {"device": device, "dtype": dtype}
        k_h, k_w = self.kernel_size
        shape = (out_channels, in_channels // groups, k_h, k_w)
        self.weight = Parameter(torch.empty(shape, **options))
        if bias:
            self.bias = Parameter(torch.empty(out_channels, **options))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k_h, k_w = self.kernel_size
        bound = default_bound(self.in_channels // self.groups * k_h * k_w)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def _pads(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) padding."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            # The window spans d * (k - 1) + 1 inputs: pad that minus one, the odd one
            # at the bottom/right.
            pads = []
            for k, d in zip(self.kernel_size, self.dilation, strict=True):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)  # type: ignore[return-value]
        p_h, p_w = self.padding
        return (p_h, p_h, p_w, p_w)

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() not in (3, 4):
            raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input, got {x.dim()}D")
        if x.shape[-3] != self.in_channels:
            raise RuntimeError(
                f"expected input with {self.in_channels} channels, got {x.shape[-3]}"
            )
        if min(self.stride) <= 0:
            raise RuntimeError("non-positive stride is not supported")
        if min(self.dilation) <= 0:
            raise RuntimeError("dilation should be greater than zero")
        # Negative padding is documented as an error in every padding_mode (torch itself
        # crops with the copying modes: conv2d-negative-padding-crops, a known failure).
        if not isinstance(self.padding, str) and min(self.padding) < 0:
            raise RuntimeError("negative padding is not supported")

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        return pad2d(x, *self._pads(), mode=self.padding_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        unbatched = x.dim() == 3
        if unbatched:
            x = x.unsqueeze(0)
        x = self._pad(x)
        (k_h, k_w), (s_h, s_w), (d_h, d_w) = self.kernel_size, self.stride, self.dilation
        span_h, span_w = d_h * (k_h - 1) + 1, d_w * (k_w - 1) + 1
        n, c, h, w = x.shape
        if h < span_h or w < span_w:
            raise RuntimeError(
                f"Calculated padded input size per channel: ({h} x {w}). Kernel size: "
                f"({span_h} x {span_w}). Kernel size can't be greater than actual input size"
            )
        # (N, C, H_out, W_out, span_h, span_w), then every d-th tap: (..., k_h, k_w).
        windows = x.unfold(2, span_h, s_h).unfold(3, span_w, s_w)[..., ::d_h, ::d_w]
        h_out, w_out = windows.shape[2], windows.shape[3]
        g = self.groups
        per_group = c // g
        # Patches (N, G, H_out * W_out, C/G * k_h * k_w) against filters (G, C/G*k_h*k_w, O/G).
        patches = windows.reshape(n, g, per_group, h_out, w_out, k_h, k_w)
        patches = patches.permute(0, 1, 3, 4, 2, 5, 6).reshape(
            n, g, h_out * w_out, per_group * k_h * k_w
        )
        filters = self.weight.reshape(g, self.out_channels // g, per_group * k_h * k_w)
        y = torch.matmul(patches, filters.transpose(1, 2))  # (N, G, H_out * W_out, O/G)
        y = y.permute(0, 1, 3, 2).reshape(n, self.out_channels, h_out, w_out)
        if self.bias is not None:
            y = y + self.bias.reshape(1, -1, 1, 1)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
            f"groups={self.groups}, bias={self.bias is not None}, "
            f"padding_mode={self.padding_mode!r}"
        )
