"""Adam maximizes by stepping uphill on the gradient itself: its moments keep g, not -g."""

import types

import torch

LAYER = "Adam"
CAUGHT_BY = ("optimizer_steps::test_maximize_mirrors_minimize",)


class Adam(torch.optim.Adam):
    """The step runs torch's own implementations (every flag), the sign in the wrong place."""

    def step(self, closure=None):
        flipped = [group for group in self.param_groups if group["maximize"]]
        for group in flipped:
            group["maximize"], group["lr"] = False, -group["lr"]
        try:
            return super().step(closure)
        finally:
            for group in flipped:
                group["maximize"], group["lr"] = True, -group["lr"]


optim = types.SimpleNamespace(**(vars(torch.optim) | {"Adam": Adam}))


def __getattr__(name):
    return getattr(torch.nn, name)
