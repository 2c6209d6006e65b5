"""LayerNorm divides by the unbiased (N - 1) variance instead of the biased one."""

import torch

LAYER = "LayerNorm"
CAUGHT_BY = ("forward", "gradients")


class LayerNorm(torch.nn.LayerNorm):
    def forward(self, input):
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = input.mean(dims, keepdim=True)
        variance = input.var(dims, keepdim=True)  # torch.var defaults to correction=1
        y = (input - mean) / torch.sqrt(variance + self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


def __getattr__(name):
    return getattr(torch.nn, name)
