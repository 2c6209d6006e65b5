"""ModuleList.apply calls fn on its direct children and itself, never recursing below them."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("init::test_init_apply",)


class ModuleList(torch.nn.ModuleList):
    def apply(self, fn):
        for module in self.children():
            fn(module)
        fn(self)
        return self


def __getattr__(name):
    return getattr(torch.nn, name)
