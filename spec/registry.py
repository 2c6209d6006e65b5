"""The registries: every LayerSpec under spec/layers/ in the chapter's order, and every
OptimizerSpec under spec/optimizers/."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

import spec.layers
import spec.optimizers
from spec.layerspec import LayerSpec
from spec.optimizerspec import OptimizerSpec

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
# The optimizers in the order torch.optim documents them (the chapter trains with SGD).
OPTIMIZER_ORDER = ("SGD", "Adam", "AdamW")


def _discover(package: ModuleType, order: tuple[str, ...]) -> tuple[Any, ...]:
    """Adding a layer (optimizer) is adding a module with a SPEC under the package: nothing else."""
    specs = [
        importlib.import_module(f"{package.__name__}.{info.name}").SPEC
        for info in pkgutil.iter_modules(package.__path__)
    ]
    rank = {name: i for i, name in enumerate(order)}
    return tuple(sorted(specs, key=lambda s: (rank.get(s.name, len(rank)), s.name)))


LAYERS: tuple[LayerSpec, ...] = _discover(spec.layers, CHAPTER_ORDER)
OPTIMIZERS: tuple[OptimizerSpec, ...] = _discover(spec.optimizers, OPTIMIZER_ORDER)


def layer_named(name: str) -> LayerSpec:
    """The spec whose torch.nn class is `name`."""
    for layer in LAYERS:
        if layer.name == name:
            return layer
    raise KeyError(name)


def optimizer_named(name: str) -> OptimizerSpec:
    """The spec whose torch.optim class is `name`."""
    for optimizer in OPTIMIZERS:
        if optimizer.name == name:
            return optimizer
    raise KeyError(name)
