"""NLLLoss's weighted mean divides by the number of targets counted, not by their total weight."""

import torch
from torch.nn import functional

LAYER = "NLLLoss"
CAUGHT_BY = ("forward", "gradients")


class NLLLoss(torch.nn.NLLLoss):
    def forward(self, input, target):
        if self.reduction != "mean":
            return super().forward(input, target)
        losses = functional.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction="none"
        )
        # The bug: an unweighted count as the divisor (right only without a weight).
        return losses.sum() / (target != self.ignore_index).sum()


def __getattr__(name):
    return getattr(torch.nn, name)
