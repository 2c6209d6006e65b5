"""MaxPool2d pads with zeros instead of leaving the padding out: all-negative windows max to 0."""

import torch
from torch.nn import functional

LAYER = "MaxPool2d"
CAUGHT_BY = ("forward", "gradients")


class MaxPool2d(torch.nn.MaxPool2d):
    def forward(self, input):
        p_h, p_w = (self.padding, self.padding) if isinstance(self.padding, int) else self.padding
        padded = functional.pad(input, (p_w, p_w, p_h, p_h))  # the bug: zeros take part
        return functional.max_pool2d(
            padded, self.kernel_size, self.stride, 0, self.dilation, self.ceil_mode
        )


def __getattr__(name):
    return getattr(torch.nn, name)
