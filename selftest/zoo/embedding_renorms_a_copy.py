"""Embedding with max_norm renormalises a copy: the output is right, the weight stays as it was."""

import torch
from torch.nn import functional

LAYER = "Embedding"
CAUGHT_BY = ("forward", "gradients")


class Embedding(torch.nn.Embedding):
    def forward(self, input):
        weight = self.weight
        if self.max_norm is not None:
            with torch.no_grad():
                renormed = weight.detach().clone()
                torch.embedding_renorm_(renormed, input, self.max_norm, self.norm_type)
            # The bug: the renormalised values flow on, the parameter keeps its old ones.
            weight = weight + (renormed - weight).detach()
        return functional.embedding(
            input, weight, self.padding_idx, None, self.norm_type, self.scale_grad_by_freq
        )


def __getattr__(name):
    return getattr(torch.nn, name)
