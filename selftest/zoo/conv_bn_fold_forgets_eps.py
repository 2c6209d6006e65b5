"""Conv+BatchNorm folding scales by gamma / sqrt(var), forgetting the BatchNorm's eps."""

import copy
import types

import torch

LAYER = "Conv2d+BatchNorm2d"
CAUGHT_BY = ("fusion",)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    forgetful = copy.copy(bn)  # shares the buffers; only its eps changes
    forgetful.eps = 0.0
    return torch.nn.utils.fusion.fuse_conv_bn_eval(conv, forgetful, transpose)


utils = types.SimpleNamespace(
    fusion=types.SimpleNamespace(
        **(vars(torch.nn.utils.fusion) | {"fuse_conv_bn_eval": fuse_conv_bn_eval})
    )
)


def __getattr__(name):
    return getattr(torch.nn, name)
