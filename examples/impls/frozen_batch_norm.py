"""A torchvision-style FrozenBatchNorm2d: batch norm with fixed statistics and affine terms.

torchvision.ops.misc.FrozenBatchNorm2d is the batch norm of detection backbones whose
statistics stay as pretrained: weight, bias, running_mean and running_var are buffers
(not parameters), the constructor takes only num_features and eps, and the forward pass
is always y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, in training
mode too. timm's normalisation modules import it from torchvision; where torchvision is
not installed (its PyPI wheel for this torch is a CUDA build whose operators do not load
against the CPU torch) examples/impls/timm_layers.py hands timm this one instead.
"""

from __future__ import annotations

import torch


class FrozenBatchNorm2d(torch.nn.Module):
    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(
        self,
        state_dict: dict,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list,
        unexpected_keys: list,
        error_msgs: list,
    ) -> None:
        # A BatchNorm2d's state dict loads into it: its batch counter has no use here.
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # One scale and one shift per channel, folded before they meet x.
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"
