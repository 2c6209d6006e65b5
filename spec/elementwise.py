"""Shape-preserving maps as LayerSpecs: one factory, each activation supplies only its math."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from spec.inputs import Inputs
from spec.layerspec import Array, ErrorScale, InvalidCase, LayerSpec
from spec.strategies import tensor_shapes

# Softmax and Flatten ranks start at 1: their dims' 0-d wrap rules are not specified yet.
MIN_RANK = 1
MAX_RANK = 4

MapRef = Callable[[Array], Array]
MapVjp = Callable[[Array, Array], dict]
# Per element error scale of the map's output (from x) and of its input gradient (x, grad_y).
MapScale = Callable[[Array], Array]
MapVjpScale = Callable[[Array, Array], Array]


def any_shape(hp: dict) -> st.SearchStrategy[tuple]:
    """Any small shape of 0..MAX_RANK dims: an elementwise map accepts every one, 0-d too."""
    return tensor_shapes(min_dims=0, max_dims=MAX_RANK)


def same_shape(hp: dict, shape: tuple) -> tuple:
    """The output shape of a shape-preserving layer."""
    return tuple(shape)


def no_params(hp: dict) -> dict:
    """A layer without parameters (or buffers)."""
    return {}


INPLACE_CLASSES = ("in place", "out of place")


def inplace_hyperparams(corner: dict | None = None) -> st.SearchStrategy[dict]:
    """{} (torch's default inplace=False) or an explicit inplace flag; a corner picks one."""
    wanted = (corner or {}).get("inplace")
    if wanted == "in place":
        return st.just({"inplace": True})
    if wanted == "out of place":
        return st.sampled_from([{}, {"inplace": False}])
    return st.one_of(st.just({}), st.fixed_dictionaries({"inplace": st.booleans()}))


def inplace_class(hp: dict) -> dict:
    return {"inplace": "in place" if hp.get("inplace") else "out of place"}


def _no_hyperparams(corner: dict | None = None) -> st.SearchStrategy[dict]:
    return st.just({})


def _inplace_flag(hp: dict) -> bool:
    return bool(hp.get("inplace", False))


def exact(x: Array, *rest: Array) -> Array:
    """Error scale of a map torch computes exactly: the bound is the floor alone."""
    return np.zeros_like(x)


def rejected_kwargs(name: str, foreign: tuple[dict, ...]) -> st.SearchStrategy[InvalidCase]:
    """Constructor arguments the layer does not take (a sibling layer's): TypeError."""
    return st.sampled_from(foreign).map(
        lambda hp: InvalidCase(hp, None, TypeError, f"{name} takes no {', '.join(hp)} argument")
    )


def elementwise_spec(
    name: str,
    *,
    forward: MapRef,
    vjp: MapVjp,
    forward_scale: MapScale,
    vjp_scale: MapVjpScale,
    foreign_kwargs: tuple[dict, ...],
    inplace: bool = False,
    kinks: tuple[float, ...] = (),
    max_magnitude: float = 1e2,
    vjp_floor_scale: MapVjpScale | None = None,
    exact: tuple = (),
) -> LayerSpec:
    """The LayerSpec of y = f(x) elementwise, any shape, no parameters, no mode."""

    # LayerSpec's references take one Inputs; an elementwise map reads x (and grad_y).
    def forward_ref(inputs: Inputs) -> tuple[Array, dict]:
        return forward(inputs.x), {}

    def vjp_ref(inputs: Inputs) -> dict:
        return vjp(inputs.x, inputs.g)

    # No reduction behind an element: K = 1.
    def forward_error(inputs: Inputs) -> ErrorScale:
        return forward_scale(inputs.x), 1

    def vjp_error(inputs: Inputs) -> dict[str, ErrorScale]:
        x, grad_y = inputs.x, inputs.g
        if vjp_floor_scale is None:
            return {"input": (vjp_scale(x, grad_y), 1)}
        return {"input": (vjp_scale(x, grad_y), 1, vjp_floor_scale(x, grad_y))}

    return LayerSpec(
        name=name,
        hyperparams=inplace_hyperparams if inplace else _no_hyperparams,
        input_shape=any_shape,
        forward=forward_ref,
        vjp=vjp_ref,
        out_shape=same_shape,
        param_shapes=no_params,
        forward_error=forward_error,
        vjp_error=vjp_error,
        invalid=lambda corner=None: rejected_kwargs(name, foreign_kwargs),
        kinks=kinks,
        max_magnitude=max_magnitude,
        writes_in_place=_inplace_flag if inplace else LayerSpec.writes_in_place,
        exact=exact,
        classes={"inplace": INPLACE_CLASSES} if inplace else {},
        classify=(lambda hp, shape: inplace_class(hp)) if inplace else LayerSpec.classify,
        # torch's documented default: out of place.
        defaults={"inplace": False} if inplace else {},
    )
