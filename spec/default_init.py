"""The default initialisation laws torch's layers share, as functions of their parameter shapes."""

from __future__ import annotations

from reference.init_laws import (
    InitLaw,
    constant_law,
    default_bias_bound,
    default_weight_bound,
    uniform_law,
)


def fan_in_uniform_laws(param_shapes: dict[str, tuple[int, ...]]) -> dict[str, InitLaw]:
    """Linear and Conv2d: weight and bias uniform on +-bound, bounds from the weight's fan_in."""
    weight_shape = param_shapes["weight"]
    bounds = {
        "weight": default_weight_bound(weight_shape),
        "bias": default_bias_bound(weight_shape),
    }
    return {name: uniform_law(-bounds[name], bounds[name]) for name in param_shapes}


def affine_norm_laws(param_shapes: dict[str, tuple[int, ...]]) -> dict[str, InitLaw]:
    """BatchNorm and LayerNorm: weight exactly 1, bias exactly 0 (whichever exist)."""
    laws = {"weight": constant_law(1.0), "bias": constant_law(0.0)}
    return {name: laws[name] for name in param_shapes}
