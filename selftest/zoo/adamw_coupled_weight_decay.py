"""AdamW adds its weight decay to the gradient, as Adam does, instead of to the parameter."""

import types

import torch

LAYER = "AdamW"
CAUGHT_BY = ("optimizer_steps::test_optimizer_steps",)


class AdamW(torch.optim.AdamW):
    """The flags are kept (every implementation runs), the decay is coupled."""

    def __init__(self, params, *args, **kwargs):
        super().__init__(params, *args, **kwargs)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = False  # the bug: L2 through the gradient


optim = types.SimpleNamespace(**(vars(torch.optim) | {"AdamW": AdamW}))


def __getattr__(name):
    return getattr(torch.nn, name)
