"""Conv2d's hand-written backward correlates grad_output with the unflipped kernel."""

import torch
from torch.nn import functional
from torch.nn.grad import conv2d_input, conv2d_weight

LAYER = "Conv2d"
CAUGHT_BY = ("gradients", "gradcheck")


class _ValidConv2d(torch.autograd.Function):
    """Convolution of an already padded, batched input, with its own backward."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, dilation, groups):
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, 0, dilation, groups)
        ctx.has_bias = bias is not None
        return functional.conv2d(x, weight, bias, stride, 0, dilation, groups)

    @staticmethod
    def backward(ctx, grad_y):
        x, weight = ctx.saved_tensors
        # The bug: the input gradient is a full convolution with the kernel rotated by
        # 180 degrees; pre-flipping it "to get a convolution" flips it back.
        grad_x = conv2d_input(x.shape, weight.flip(-2, -1), grad_y, *ctx.geometry)
        grad_weight = conv2d_weight(x, weight.shape, grad_y, *ctx.geometry)
        grad_bias = grad_y.sum((0, 2, 3)) if ctx.has_bias else None
        return grad_x, grad_weight, grad_bias, None, None, None


class Conv2d(torch.nn.Conv2d):
    def _conv_forward(self, input, weight, bias):
        batched = input.dim() == 4
        x = input if batched else input.unsqueeze(0)
        mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
        x = functional.pad(x, self._reversed_padding_repeated_twice, mode=mode)
        y = _ValidConv2d.apply(x, weight, bias, self.stride, self.dilation, self.groups)
        return y if batched else y.squeeze(0)


def __getattr__(name):
    return getattr(torch.nn, name)
