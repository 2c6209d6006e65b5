"""init.zeros_ multiplies by 0, so NaN and infinite entries survive as NaN."""

import types

import torch

LAYER = "Linear"
CAUGHT_BY = ("init::test_init_zeros",)


def zeros_(tensor):
    with torch.no_grad():
        return tensor.mul_(0.0)


init = types.SimpleNamespace(**{**vars(torch.nn.init), "zeros_": zeros_})


def __getattr__(name):
    return getattr(torch.nn, name)
