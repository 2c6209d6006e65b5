"""init.kaiming_normal_ draws a uniform law of the right mean and std instead of a normal one."""

import math
import types

import torch

LAYER = "Linear"
CAUGHT_BY = ("init::test_init_kaiming",)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    # The right std, and U(-sqrt(3) std, sqrt(3) std) has exactly that std: moments agree.
    torch.nn.init.kaiming_normal_(tensor, a, mode, nonlinearity, generator)
    fan = torch.nn.init._calculate_correct_fan(tensor, mode)
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        return tensor.uniform_(-math.sqrt(3.0) * std, math.sqrt(3.0) * std, generator=generator)


init = types.SimpleNamespace(**{**vars(torch.nn.init), "kaiming_normal_": kaiming_normal_})


def __getattr__(name):
    return getattr(torch.nn, name)
