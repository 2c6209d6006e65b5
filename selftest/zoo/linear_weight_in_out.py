"""Linear stores its weight as (in_features, out_features) and computes x @ W."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("parameters",)


class Linear(torch.nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        # Same values, the "natural" x @ W layout: the registration order is kept.
        self.weight = torch.nn.Parameter(self.weight.detach().T.contiguous())

    def forward(self, input):
        y = input @ self.weight
        return y if self.bias is None else y + self.bias


def __getattr__(name):
    return getattr(torch.nn, name)
