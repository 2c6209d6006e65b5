"""CrossEntropyLoss smooths labels ignoring the class weight: -sum_c logp[c], not w[c] logp[c]."""

import torch
from torch.nn import functional

LAYER = "CrossEntropyLoss"
CAUGHT_BY = ("forward", "gradients")


class CrossEntropyLoss(torch.nn.CrossEntropyLoss):
    def forward(self, input, target):
        smoothing = self.label_smoothing
        if smoothing == 0 or self.weight is None or target.is_floating_point():
            return super().forward(input, target)
        class_dim = 0 if input.dim() == 1 else 1
        logp = functional.log_softmax(input, class_dim)
        nll = functional.nll_loss(
            logp, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )
        ignored = target == self.ignore_index
        # The bug: -sum_c logp[c], where torch weighs each class: -sum_c w[c] logp[c].
        smooth = (-logp.sum(class_dim)).masked_fill(ignored, 0.0)
        if self.reduction == "sum":
            smooth = smooth.sum()
        elif self.reduction == "mean":
            smooth = smooth.sum() / self.weight[target[~ignored]].sum()
        return (1 - smoothing) * nll + smoothing / input.shape[class_dim] * smooth


def __getattr__(name):
    return getattr(torch.nn, name)
