"""AvgPool1d counting padding divides a ceil-mode window running past the padding by k."""

import torch
from torch.nn import functional

LAYER = "AvgPool1d"
CAUGHT_BY = ("forward", "gradients")


class AvgPool1d(torch.nn.AvgPool1d):
    def forward(self, input):
        if not self.count_include_pad:
            return super().forward(input)
        (kernel,), (stride,), (padding,) = self.kernel_size, self.stride, self.padding
        # The bug: every window divides by the kernel, even one clipped at the padded end.
        y = functional.avg_pool2d(
            input.unsqueeze(-2),
            (1, kernel),
            (1, stride),
            (0, padding),
            self.ceil_mode,
            True,
            kernel,
        )
        return y.squeeze(-2)


def __getattr__(name):
    return getattr(torch.nn, name)
