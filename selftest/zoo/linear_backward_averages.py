"""Linear's hand-written backward averages the weight and bias gradients over the batch."""

import torch
from torch.nn import functional

LAYER = "Linear"
CAUGHT_BY = ("gradients", "gradcheck")


class _LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return functional.linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_y):
        x, weight = ctx.saved_tensors
        rows_y = grad_y.reshape(-1, grad_y.shape[-1])
        rows_x = x.reshape(-1, x.shape[-1])
        batch = rows_y.shape[0]
        # The bug: a mean over the batch (as if the loss were averaged) instead of a sum.
        grad_weight = rows_y.T @ rows_x / batch
        grad_bias = rows_y.sum(0) / batch if ctx.has_bias else None
        return grad_y @ weight, grad_weight, grad_bias


class Linear(torch.nn.Linear):
    def forward(self, input):
        return _LinearFunction.apply(input, self.weight, self.bias)


def __getattr__(name):
    return getattr(torch.nn, name)
