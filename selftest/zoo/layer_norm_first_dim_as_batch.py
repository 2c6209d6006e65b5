"""LayerNorm that takes the first dim as the batch, each sample normalised over the rest."""

# A learner's per-sample normalisation, right only where one leading dim precedes the
# normalized ones. With no leading dims it normalises each row of
# the normalized shape on its own; with two or more it pools dims it should keep apart.

import torch

LAYER = "LayerNorm"
CAUGHT_BY = ("forward", "gradients")


class LayerNorm(torch.nn.LayerNorm):
    def forward(self, input):
        dims = tuple(range(1, input.dim())) or (0,)
        mean = input.mean(dims, keepdim=True)
        variance = input.var(dims, keepdim=True, correction=0)
        y = (input - mean) / torch.sqrt(variance + self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


def __getattr__(name):
    return getattr(torch.nn, name)
