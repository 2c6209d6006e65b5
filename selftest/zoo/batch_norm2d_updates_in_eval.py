"""BatchNorm2d in eval normalises with the running statistics but still updates them."""

import torch
from torch.nn import functional

LAYER = "BatchNorm2d"
CAUGHT_BY = ("modes",)


class BatchNorm2d(torch.nn.BatchNorm2d):
    def forward(self, input):
        if self.training or not self.track_running_stats:
            return super().forward(input)
        output = functional.batch_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
        )
        # The bug: a training-style statistics update on every eval call.
        self.num_batches_tracked.add_(1)
        factor = 0.1 if self.momentum is None else self.momentum
        functional.batch_norm(
            input.detach(), self.running_mean, self.running_var, None, None, True, factor, self.eps
        )
        return output


def __getattr__(name):
    return getattr(torch.nn, name)
