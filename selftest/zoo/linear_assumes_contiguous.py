"""Linear reads its input as if contiguous: right on dense tensors, wrong on strided views."""

import torch
from torch.nn import functional

LAYER = "Linear"
CAUGHT_BY = ("layouts",)
# A strided input needs rank >= 2 and a non-last dim of size > 1, drawn in about a
# third of the examples; 100 examples miss it with probability far below 1e-9.
EXAMPLES = 100


class Linear(torch.nn.Linear):
    def forward(self, input):
        dense = torch.empty(input.shape).stride()
        flat = input.as_strided(input.shape, dense, input.storage_offset())
        return functional.linear(flat, self.weight, self.bias)


def __getattr__(name):
    return getattr(torch.nn, name)
