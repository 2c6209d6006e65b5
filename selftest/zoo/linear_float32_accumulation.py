"""Linear computes in float32 whatever the dtype: right for float32, wrong for float64."""

import torch
from torch.nn import functional

LAYER = "Linear"
CAUGHT_BY = ("forward",)
DTYPE = "float64"


class Linear(torch.nn.Linear):
    def forward(self, input):
        bias = None if self.bias is None else self.bias.float()
        return functional.linear(input.float(), self.weight.float(), bias).to(input.dtype)


def __getattr__(name):
    return getattr(torch.nn, name)
