"""Conv1d gives a kernel tap that reads only padding a weight gradient."""

# The shape of the AMX bfloat16 bug (conv1d-bfloat16-amx-padding-only-tap-weight-grad):
# at a stride of 2 or more, a tap that lands in the zero padding at every output keeps
# a stale weight gradient where it must be 0; the output is right. The configurations
# are a few in a hundred; the exact sweep meets them every run.

import torch

LAYER = "Conv1d"
CAUGHT_BY = ("exact",)


def _padding_only_taps(module: torch.nn.Conv1d, length: int) -> list[int]:
    if module.padding_mode != "zeros" or isinstance(module.padding, str):
        return []  # 'valid' pads nothing; 'same' takes no stride
    (kernel,), (dilation,), (stride,), (pad,) = (
        module.kernel_size,
        module.dilation,
        module.stride,
        module.padding,
    )
    outputs = (length + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1
    return [
        tap
        for tap in range(kernel)
        if all(not pad <= j * stride + tap * dilation < pad + length for j in range(outputs))
    ]


class Conv1d(torch.nn.Conv1d):
    def forward(self, input):
        output = super().forward(input)
        taps = _padding_only_taps(self, input.shape[-1])
        if self.stride[0] < 2 or not taps:
            return output
        # Adds exactly 0 to the output, and the sum of grad_output to the tap's gradient.
        stale = self.weight[..., taps[-1]].sum()
        return output + (stale - stale.detach())


def __getattr__(name):
    return getattr(torch.nn, name)
