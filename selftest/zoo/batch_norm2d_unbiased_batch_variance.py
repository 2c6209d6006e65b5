"""BatchNorm2d normalises a training batch by its unbiased (N - 1) variance, not the biased."""

import torch

LAYER = "BatchNorm2d"
CAUGHT_BY = ("forward", "gradients")


class BatchNorm2d(torch.nn.BatchNorm2d):
    def forward(self, input):
        # torch's own pass for its side effects only: running statistics stay right.
        reference_output = super().forward(input)
        if not (self.training or self.running_mean is None):
            return reference_output
        batched = input if input.dim() == 4 else input.unsqueeze(0)
        mean = batched.mean((0, 2, 3), keepdim=True)
        variance = batched.var((0, 2, 3), keepdim=True)  # the bug: correction=1
        y = (batched - mean) / torch.sqrt(variance + self.eps)
        if self.weight is not None:
            y = y * self.weight[:, None, None]
        if self.bias is not None:
            y = y + self.bias[:, None, None]
        return y if input.dim() == 4 else y.squeeze(0)


def __getattr__(name):
    return getattr(torch.nn, name)
