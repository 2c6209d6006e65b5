"""ReLU's hand-written backward lets the gradient through at x == 0 (mask x >= 0)."""

import torch

LAYER = "ReLU"
# Not gradcheck: finite differences are kept away from the kink, where this bug lives.
CAUGHT_BY = ("gradients",)


class _ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, inplace):
        passes = x >= 0  # the bug: torch's subgradient at exactly 0 is 0
        ctx.save_for_backward(passes)
        if inplace:
            ctx.mark_dirty(x)
            return x.clamp_(min=0)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_y):
        (passes,) = ctx.saved_tensors
        return grad_y * passes, None


class ReLU(torch.nn.ReLU):
    def forward(self, input):
        return _ReLUFunction.apply(input, self.inplace)


def __getattr__(name):
    return getattr(torch.nn, name)
