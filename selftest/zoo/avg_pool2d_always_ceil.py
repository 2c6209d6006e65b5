"""AvgPool2d rounds its output size up even when ceil_mode=False: an extra partial window."""

import torch
from torch.nn import functional

LAYER = "AvgPool2d"
CAUGHT_BY = ("shape", "forward")


class AvgPool2d(torch.nn.AvgPool2d):
    def forward(self, input):
        return functional.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            True,
            self.count_include_pad,
            self.divisor_override,
        )


def __getattr__(name):
    return getattr(torch.nn, name)
