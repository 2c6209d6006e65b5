"""Linear reads its input as if contiguous: right on dense tensors, wrong on strided views."""

import torch
from torch.nn import functional

LAYER = "Linear"
CAUGHT_BY = ("layouts",)


class Linear(torch.nn.Linear):
    def forward(self, input):
        dense = torch.empty(input.shape).stride()
        flat = input.as_strided(input.shape, dense, input.storage_offset())
        return functional.linear(flat, self.weight, self.bias)


def __getattr__(name):
    return getattr(torch.nn, name)
