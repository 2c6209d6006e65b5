"""BatchNorm2d folds the biased (divide by N) batch variance into running_var, not the unbiased."""

import torch

LAYER = "BatchNorm2d"
CAUGHT_BY = ("modes",)


class BatchNorm2d(torch.nn.BatchNorm2d):
    def forward(self, input):
        updates = self.training and self.track_running_stats
        old = None if not updates else self.running_var.detach().clone()
        output = super().forward(input)
        if updates:
            factor = self.momentum
            if factor is None:
                factor = 1.0 / float(self.num_batches_tracked)
            batched = input if input.dim() == 4 else input.unsqueeze(0)
            biased = batched.detach().var((0, 2, 3), correction=0)  # the bug: correction=0
            with torch.no_grad():
                self.running_var.copy_((1 - factor) * old + factor * biased)
        return output


def __getattr__(name):
    return getattr(torch.nn, name)
