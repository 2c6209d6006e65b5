"""Linear registers bias before weight: right shapes, wrong order for optimizers and state."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("parameters",)


class Linear(torch.nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        torch.nn.Module.__init__(self)
        self.in_features, self.out_features = in_features, out_features
        factory = {"device": device, "dtype": dtype}
        if bias:
            self.bias = torch.nn.Parameter(torch.empty(out_features, **factory))
        else:
            self.register_parameter("bias", None)
        self.weight = torch.nn.Parameter(torch.empty((out_features, in_features), **factory))
        self.reset_parameters()


def __getattr__(name):
    return getattr(torch.nn, name)
