"""LayerNorm that takes the first dim as the batch, each sample normalised over the rest."""

# A learner's per-sample normalisation, right only where one leading dim precedes the
# normalized ones. With no leading dims it normalises each row of
# the normalized shape on its own; with two or more it pools dims it should keep apart.

import torch

LAYER = "LayerNorm"
CAUGHT_BY = ("forward", "gradients")


class LayerNorm(torch.nn.LayerNorm):
    def forward(self, input):
        sample = input.shape[1:] or input.shape
        y = torch.nn.functional.layer_norm(input, sample, eps=self.eps)
        if self.weight is not None:
            y = y * self.weight
        return y if self.bias is None else y + self.bias


def __getattr__(name):
    return getattr(torch.nn, name)
