"""timm_nn: the torch.nn names, backed by timm's classes where timm has a drop-in layer.

For `--impl examples.impls.timm_nn`. A name in MAPPED is timm's class (or a subclass that
only renames constructor arguments to torch's, and keeps timm's defaults); every other
name, `init` included, falls through to torch.nn, so the suite judges timm where timm
replaces torch and torch everywhere else. Found non-conformances: timm_known_failures.py.

Not mapped, and why: timm's AvgPool2dSame and MaxPool2dSame always pad TensorFlow's
"same" way, which torch's pools have no setting for; LayerNorm2d, RmsNorm, GroupNorm1,
DropPath and the like have no torch.nn counterpart of the same meaning.
"""

from __future__ import annotations

import inspect

import torch
from torch.nn import init

from examples.impls import timm_layers

_layers, _loss, TIMM_VERSION = timm_layers.load()

# The name under test, and what answers to it.
MAPPED = {
    "Linear": "timm.layers.Linear (a torch.nn.Linear whose forward is F.linear)",
    "Sigmoid": "timm.layers.Sigmoid",
    "Tanh": "timm.layers.Tanh",
    "GELU": "timm.layers.GELU for approximate='none', timm.layers.GELUTanh for 'tanh'",
    "LayerNorm": (
        "timm.layers.LayerNorm (num_channels, affine renamed to torch's names; timm's eps)"
    ),
    "BatchNorm2d": "timm.layers.BatchNormAct2d with apply_act=False",
    "Conv2d": "timm.layers.Conv2dSame for padding='same' (zeros), torch.nn.Conv2d otherwise",
    "CrossEntropyLoss": "timm.loss.LabelSmoothingCrossEntropy (smoothing renamed label_smoothing)",
}

Linear = _layers.Linear
Sigmoid = _layers.Sigmoid
Tanh = _layers.Tanh


def _default(cls: type, argument: str) -> object:
    return inspect.signature(cls).parameters[argument].default


class GELU(_layers.GELU):
    """timm has one class per approximation; this picks the one torch's argument names."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate
        # An approximation timm has no class for is torch's to judge (and reject).
        self._timm_forward = {"none": _layers.GELU, "tanh": _layers.GELUTanh}.get(approximate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._timm_forward is None:
            return torch.nn.functional.gelu(x, approximate=self.approximate)
        return self._timm_forward.forward(self, x)


class LayerNorm(_layers.LayerNorm):
    """timm's LayerNorm under torch's argument names; its eps default is timm's own."""

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = _default(_layers.LayerNorm, "eps"),  # type: ignore[assignment]
        elementwise_affine: bool = True,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            normalized_shape,
            eps=eps,
            affine=elementwise_affine,
            bias=bias,
            device=device,
            dtype=dtype,
        )


class BatchNorm2d(_layers.BatchNormAct2d):
    """timm's batch norm + activation with the activation (and drop) left out."""

    def __init__(
        self,
        num_features: int,
        eps: float = _default(_layers.BatchNormAct2d, "eps"),  # type: ignore[assignment]
        momentum: float | None = _default(_layers.BatchNormAct2d, "momentum"),  # type: ignore[assignment]
        affine: bool = True,
        track_running_stats: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            num_features,
            eps=eps,
            momentum=momentum,
            affine=affine,
            track_running_stats=track_running_stats,
            apply_act=False,
            device=device,
            dtype=dtype,
        )


class Conv2d(_layers.Conv2dSame):
    """timm's Conv2dSame where torch asks for padding='same' with zeros; torch elsewhere.

    Conv2dSame pads TensorFlow's "same" way at every call (the odd element after), which
    is torch's padding='same' at stride 1; it ignores any other padding, so only 'same'
    is timm's to answer.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        sizes = (in_channels, out_channels, kernel_size, stride)
        timm_same = padding == "same" and padding_mode == "zeros"
        if timm_same:
            super().__init__(*sizes, padding, dilation, groups, bias, device=device, dtype=dtype)
        else:
            torch.nn.Conv2d.__init__(
                self, *sizes, padding, dilation, groups, bias, padding_mode, device, dtype
            )
        self.timm_same = timm_same

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.timm_same:
            return super().forward(x)
        return torch.nn.Conv2d.forward(self, x)


class CrossEntropyLoss(_loss.LabelSmoothingCrossEntropy):
    """timm's label-smoothing cross entropy: torch's label_smoothing, timm's default."""

    def __init__(
        self,
        label_smoothing: float = _default(_loss.LabelSmoothingCrossEntropy, "smoothing"),  # type: ignore[assignment]
    ) -> None:
        super().__init__(smoothing=label_smoothing)


def __getattr__(name: str) -> object:
    """Every name timm has no drop-in for is torch.nn's own."""
    return getattr(torch.nn, name)


def mapped_classes() -> dict[str, type]:
    """The classes this adapter answers with, by torch.nn name."""
    return {name: globals()[name] for name in MAPPED}


__all__ = [
    "GELU",
    "MAPPED",
    "TIMM_VERSION",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "LayerNorm",
    "Linear",
    "Sigmoid",
    "Tanh",
    "init",
    "mapped_classes",
]
