"""Module.zero_grad clears nothing: a loop clearing through the model sums its gradients."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("training_steps",)
# MyNetwork subclasses the implementation's Module; its zero_grad is the broken one.
RUN_ON = {"training_steps": "MyNetwork"}


class Module(torch.nn.Module):
    def zero_grad(self, set_to_none=True):
        pass  # the bug: every parameter keeps the gradient it holds


def __getattr__(name):
    return getattr(torch.nn, name)
