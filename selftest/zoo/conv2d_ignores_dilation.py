"""Conv2d stores dilation but never passes it to the convolution."""

import torch
from torch.nn import functional

LAYER = "Conv2d"
CAUGHT_BY = ("shape", "forward")


class Conv2d(torch.nn.Conv2d):
    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = functional.pad(
                input, self._reversed_padding_repeated_twice, mode=self.padding_mode
            )
            return functional.conv2d(padded, weight, bias, self.stride, 0, 1, self.groups)
        return functional.conv2d(input, weight, bias, self.stride, self.padding, 1, self.groups)


def __getattr__(name):
    return getattr(torch.nn, name)
