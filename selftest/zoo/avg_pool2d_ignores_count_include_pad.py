"""AvgPool2d always divides by the full window: count_include_pad=False is ignored."""

import torch
from torch.nn import functional

LAYER = "AvgPool2d"
CAUGHT_BY = ("forward", "gradients")


class AvgPool2d(torch.nn.AvgPool2d):
    def forward(self, input):
        return functional.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            True,
            self.divisor_override,
        )


def __getattr__(name):
    return getattr(torch.nn, name)
