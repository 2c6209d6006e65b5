"""BatchNorm2d's backward rounds grad_output * (x - mean) to the input's dtype before its sum."""

import torch

LAYER = "BatchNorm2d"
# Wrong only where each product g * (x - mean) falls among float16's subnormals while the
# law's sum(g * x_hat) does not: the value class "tiny gradient over few small values"
# (spec/batch_norm.py), which the corner pass meets in these properties every run.
CAUGHT_BY = ("gradients", "layouts")
DTYPE = "float16"

DIMS = (0, 2, 3)


class _Normalise(torch.autograd.Function):
    """(x - mean) / sqrt(var + eps) over each channel's batch statistics."""

    @staticmethod
    def forward(ctx, input, eps):
        x = input.float()
        mean = x.mean(DIMS, keepdim=True)
        invstd = torch.rsqrt(x.var(DIMS, unbiased=False, keepdim=True) + eps)
        ctx.save_for_backward(input, mean, invstd)
        return ((x - mean) * invstd).to(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        input, mean, invstd = ctx.saved_tensors
        count = input.numel() // input.shape[1]
        centred = input.float() - mean
        # The bug: each product rounded to the input's dtype before the float32 sum.
        dot = (grad * centred.to(grad.dtype)).float().sum(DIMS, keepdim=True)
        g = grad.float()
        mean_g = g.sum(DIMS, keepdim=True) / count
        grad_input = (g - mean_g - centred * invstd**2 * dot / count) * invstd
        return grad_input.to(input.dtype), None


class BatchNorm2d(torch.nn.BatchNorm2d):
    def forward(self, input):
        # torch's own pass for its side effects only: running statistics stay right.
        reference_output = super().forward(input)
        batch_statistics = self.training or self.running_mean is None
        if input.dtype != torch.float16 or not batch_statistics:
            return reference_output
        y = _Normalise.apply(input, self.eps)
        shape = (1, -1, 1, 1)
        if self.weight is not None:
            y = y * self.weight.view(shape)
        if self.bias is not None:
            y = y + self.bias.view(shape)
        return y


def __getattr__(name):
    return getattr(torch.nn, name)
