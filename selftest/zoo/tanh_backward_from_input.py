"""Tanh's hand-written backward computes 1 - x**2 from the input instead of 1 - tanh(x)**2."""

import torch

LAYER = "Tanh"
CAUGHT_BY = ("gradients", "gradcheck")


class _TanhFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.tanh(x)

    @staticmethod
    def backward(ctx, grad_y):
        (x,) = ctx.saved_tensors
        return grad_y * (1 - x * x)


class Tanh(torch.nn.Tanh):
    def forward(self, input):
        return _TanhFunction.apply(input)


def __getattr__(name):
    return getattr(torch.nn, name)
