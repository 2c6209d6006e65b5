"""Linear.forward forgets the bias: y = x @ W.T even when bias=True."""

import torch
from torch.nn import functional

LAYER = "Linear"
CAUGHT_BY = ("forward", "gradients")


class Linear(torch.nn.Linear):
    def forward(self, input):
        return functional.linear(input, self.weight)


def __getattr__(name):
    return getattr(torch.nn, name)
