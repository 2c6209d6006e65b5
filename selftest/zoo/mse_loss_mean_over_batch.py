"""MSELoss's mean divides the summed squares by the batch size, not by the number of elements."""

import torch
from torch.nn import functional

LAYER = "MSELoss"
CAUGHT_BY = ("forward", "gradients")


class MSELoss(torch.nn.MSELoss):
    def forward(self, input, target):
        if self.reduction != "mean" or input.dim() == 0:
            return super().forward(input, target)
        # The bug: "mean over the batch", as if each sample had one element.
        return functional.mse_loss(input, target, reduction="sum") / input.shape[0]


def __getattr__(name):
    return getattr(torch.nn, name)
