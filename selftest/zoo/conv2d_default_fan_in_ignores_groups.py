"""Conv2d's default init takes fan_in = in_channels * kh * kw, forgetting the division by groups."""

import math

import torch
from torch.nn import init

LAYER = "Conv2d"
CAUGHT_BY = ("init::test_init",)


class Conv2d(torch.nn.Conv2d):
    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_channels * math.prod(self.kernel_size))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)


def __getattr__(name):
    return getattr(torch.nn, name)
