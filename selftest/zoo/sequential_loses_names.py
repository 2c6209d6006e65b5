"""Sequential given an OrderedDict registers its layers as 0, 1, ... and loses their names."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("models", "chapter_claims")
RUN_ON = {"models": "Sequential"}


class Sequential(torch.nn.Sequential):
    def __init__(self, *args):
        if len(args) == 1 and isinstance(args[0], dict):
            args = tuple(args[0].values())  # the bug: the names are dropped
        super().__init__(*args)


def __getattr__(name):
    return getattr(torch.nn, name)
