"""student_nn with two subtle bugs, for showing the conformance suite catches them.

Everything is selftest.student_nn except:

1. Conv2d with padding_mode="circular" wraps one element off: the copy in front of
   the input starts one element too late (x[-p+1:], x[:1] instead of x[-p:]). Wrong
   values and gradients next to the top/left border; right shapes, parameters, init,
   errors, and an autograd consistent with its own forward (gradcheck cannot see it).
2. AvgPool2d in ceil_mode with count_include_pad=True divides a last window that
   hangs over the padded input by the full kernel area, counting the positions past
   the padding that torch leaves out. Only such overhanging windows are off.

BUGS says which conformance cells each bug must fail; selftest/test_student_impl.py
checks that exactly those fail.
"""

from __future__ import annotations

import torch

from selftest.student_nn import (
    BatchNorm2d,
    Dropout,
    Flatten,
    LayerNorm,
    Linear,
    Module,
    ModuleList,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    conv,
    init,
    pooling,
)
from selftest.student_nn._util import pad_axis

# (layer, property) conformance cells each bug fails; every other cell passes.
BUGS = {
    "Conv2d circular padding off by one": {("Conv2d", "forward"), ("Conv2d", "gradients")},
    "AvgPool2d ceil_mode overhang counted in the divisor": {
        ("AvgPool2d", "forward"),
        ("AvgPool2d", "gradients"),
    },
}


def _circular_off_by_one(x: torch.Tensor, dim: int, before: int, after: int) -> torch.Tensor:
    size = x.shape[dim]
    if not (0 < before <= size and 0 <= after <= size):
        return pad_axis(x, dim, before, after, "circular")
    positions = torch.arange(-before, size + after)
    # Bug: positions in front wrap to size - before + 1 .. size, one too far along.
    index = torch.where(positions < 0, (positions + 1).remainder(size), positions % size)
    return x.index_select(dim, index.to(x.device))


class Conv2d(conv.Conv2d):
    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding_mode != "circular":
            return super()._pad(x)
        top, bottom, left, right = self._pads()
        x = _circular_off_by_one(x, x.dim() - 2, top, bottom)
        return _circular_off_by_one(x, x.dim() - 1, left, right)


class AvgPool2d(pooling.AvgPool2d):
    @staticmethod
    def _window_lengths(size: int, out: int, k: int, s: int, p: int) -> tuple[list, list]:
        _, inside = pooling.AvgPool2d._window_lengths(size, out, k, s, p)
        # Bug: a window is never clipped at the end of the padded input.
        return [k] * out, inside


__all__ = [
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "LayerNorm",
    "Linear",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "init",
]
