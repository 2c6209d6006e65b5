"""Linear's default weight init draws from U(-1/fan_in, 1/fan_in), not U(-1/sqrt(fan_in), ...)."""

import math

import torch
from torch.nn import init

LAYER = "Linear"
CAUGHT_BY = ("init::test_init",)


class Linear(torch.nn.Linear):
    def reset_parameters(self):
        fan_in = self.in_features
        init.uniform_(self.weight, -1 / fan_in, 1 / fan_in)
        if self.bias is not None:
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)


def __getattr__(name):
    return getattr(torch.nn, name)
