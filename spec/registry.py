"""The registry: every LayerSpec under spec/layers/, in the chapter's order."""

from __future__ import annotations

import importlib
import pkgutil

import spec.layers
from spec.layerspec import LayerSpec

# The order in which the chapter introduces the layers; it orders the report's rows.
# A module under spec/layers/ that is not listed still registers, after these.
CHAPTER_ORDER = (
    "Linear",
    "Conv2d",
    "AvgPool2d",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "BatchNorm2d",
    "LayerNorm",
    "Dropout",
    "Flatten",
)


def _discover() -> tuple[LayerSpec, ...]:
    """Adding a layer is adding a module with a SPEC under spec/layers/: nothing else."""
    specs = [
        importlib.import_module(f"spec.layers.{info.name}").SPEC
        for info in pkgutil.iter_modules(spec.layers.__path__)
    ]
    rank = {name: i for i, name in enumerate(CHAPTER_ORDER)}
    return tuple(sorted(specs, key=lambda s: (rank.get(s.name, len(rank)), s.name)))


LAYERS: tuple[LayerSpec, ...] = _discover()


def layer_named(name: str) -> LayerSpec:
    """The spec whose torch.nn class is `name`."""
    for layer in LAYERS:
        if layer.name == name:
            return layer
    raise KeyError(name)
