"""MSELoss detaches its target: no gradient reaches a target that requires one."""

import torch
from torch.nn import functional

LAYER = "MSELoss"
CAUGHT_BY = ("gradients", "gradcheck")


class MSELoss(torch.nn.MSELoss):
    def forward(self, input, target):
        # The bug: the target is treated as a constant, whatever requires_grad says.
        return functional.mse_loss(input, target.detach(), reduction=self.reduction)


def __getattr__(name):
    return getattr(torch.nn, name)
