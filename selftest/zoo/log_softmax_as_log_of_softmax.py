"""LogSoftmax as log(softmax(x)): a probability that underflows to 0 gives -inf."""

import torch

LAYER = "LogSoftmax"
CAUGHT_BY = ("forward", "gradients")


class LogSoftmax(torch.nn.LogSoftmax):
    def forward(self, input):
        return torch.log(torch.nn.functional.softmax(input, self.dim, _stacklevel=5))


def __getattr__(name):
    return getattr(torch.nn, name)
