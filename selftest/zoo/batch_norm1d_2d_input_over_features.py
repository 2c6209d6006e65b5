"""BatchNorm1d normalises an (N, C) input over its C features, not each feature over N."""

import torch

LAYER = "BatchNorm1d"
CAUGHT_BY = ("forward", "gradients")


class BatchNorm1d(torch.nn.BatchNorm1d):
    def forward(self, input):
        # torch's own pass for its side effects only: running statistics stay right.
        reference_output = super().forward(input)
        batch_statistics = self.training or self.running_mean is None
        if input.dim() != 2 or not batch_statistics:
            return reference_output
        # The bug: the statistics of each sample (a LayerNorm), not of each channel.
        mean = input.mean(1, keepdim=True)
        variance = input.var(1, unbiased=False, keepdim=True)
        y = (input - mean) / torch.sqrt(variance + self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


def __getattr__(name):
    return getattr(torch.nn, name)
