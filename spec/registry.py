"""The registry: every LayerSpec the suite checks, in the chapter's order."""

from __future__ import annotations

import importlib

from spec.layerspec import LayerSpec

# Module names under spec/layers/; adding a layer means adding its module here.
LAYER_MODULES = (
    "linear",
    "conv2d",
)


def _load(module: str) -> LayerSpec:
    return importlib.import_module(f"spec.layers.{module}").SPEC


LAYERS: tuple[LayerSpec, ...] = tuple(_load(m) for m in LAYER_MODULES)


def layer_named(name: str) -> LayerSpec:
    """The spec whose torch.nn class is `name`."""
    for spec in LAYERS:
        if spec.name == name:
            return spec
    raise KeyError(name)
