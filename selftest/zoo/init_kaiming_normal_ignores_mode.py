"""init.kaiming_normal_ divides by fan_in whatever the mode, so mode='fan_out' is ignored."""

import types

import torch

LAYER = "Linear"
CAUGHT_BY = ("init::test_init_kaiming",)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    return torch.nn.init.kaiming_normal_(tensor, a, "fan_in", nonlinearity, generator)


init = types.SimpleNamespace(**{**vars(torch.nn.init), "kaiming_normal_": kaiming_normal_})


def __getattr__(name):
    return getattr(torch.nn, name)
