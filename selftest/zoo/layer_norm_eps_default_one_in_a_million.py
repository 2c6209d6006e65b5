"""LayerNorm whose eps defaults to 1e-6, as timm's does, where torch documents 1e-5."""

# Every property that passes eps explicitly (all of them) is blind to it; the contract
# property compares the constructor's defaults with torch's.

import torch

LAYER = "LayerNorm"
CAUGHT_BY = ("contract",)


class LayerNorm(torch.nn.LayerNorm):
    def __init__(
        self,
        normalized_shape,
        eps=1e-6,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__(normalized_shape, eps, elementwise_affine, bias, device, dtype)


def __getattr__(name):
    return getattr(torch.nn, name)
