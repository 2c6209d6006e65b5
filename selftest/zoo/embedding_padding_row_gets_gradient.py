"""Embedding's backward forgets padding_idx: the padding row accumulates its gradient."""

import torch
from torch.nn import functional

LAYER = "Embedding"
CAUGHT_BY = ("gradients", "layouts")


class Embedding(torch.nn.Embedding):
    def forward(self, input):
        # The bug: the lookup is told of no padding row, so its gradient is not zeroed.
        return functional.embedding(
            input, self.weight, None, self.max_norm, self.norm_type, self.scale_grad_by_freq
        )


def __getattr__(name):
    return getattr(torch.nn, name)
