"""MaxPool1d built without a stride slides by 1, not by the kernel size as documented."""

import torch

LAYER = "MaxPool1d"
CAUGHT_BY = ("shape", "forward")


class MaxPool1d(torch.nn.MaxPool1d):
    def __init__(self, kernel_size, stride=None, *args, **kwargs):
        super().__init__(kernel_size, 1 if stride is None else stride, *args, **kwargs)


def __getattr__(name):
    return getattr(torch.nn, name)
