"""Conv1d with padding='same' puts the odd extra pad on the left end, not the right."""

import torch
from torch.nn import functional

LAYER = "Conv1d"
CAUGHT_BY = ("forward", "gradients")


class Conv1d(torch.nn.Conv1d):
    def _conv_forward(self, input, weight, bias):
        if self.padding != "same":
            return super()._conv_forward(input, weight, bias)
        total = self.dilation[0] * (self.kernel_size[0] - 1)
        left, right = total - total // 2, total // 2  # the bug: torch pads total // 2 first
        mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
        padded = functional.pad(input, (left, right), mode=mode)
        return functional.conv1d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)


def __getattr__(name):
    return getattr(torch.nn, name)
