"""LayerSpec: one declarative description of a torch.nn layer that every property test reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from reference.init_laws import InitLaw

Array = np.ndarray
Shape = tuple[int, ...]
HyperParams = Mapping[str, Any]
Params = Mapping[str, Array]
Buffers = Mapping[str, Array]

# (output, new buffers) = forward(x, params, buffers, hp, training, randomness)
ForwardRef = Callable[[Array, Params, Buffers, HyperParams, bool, Any], tuple[Array, dict]]
# {"input": ..., "<param>": ...} = vjp(x, params, buffers, hp, training, randomness, grad_y)
VjpRef = Callable[[Array, Params, Buffers, HyperParams, bool, Any, Array], dict]
# Per output element: (error scale, reduction length K), optionally followed by a floor
# scale (how many floors a flushed forward value can grow into); see spec/tolerances.py.
ErrorScale = tuple[Array, Array | int] | tuple[Array, Array | int, Array | float]
ForwardScale = Callable[[Array, Params, Buffers, HyperParams, bool, Any], ErrorScale]
VjpScale = Callable[[Array, Params, Buffers, HyperParams, bool, Any, Array], dict[str, ErrorScale]]


@dataclass(frozen=True)
class InvalidCase:
    """A configuration torch must reject, and how."""

    hp: dict
    input_shape: Shape | None  # None: the constructor itself must raise
    exception: type[BaseException]
    why: str


@dataclass(frozen=True, repr=False)
class LayerSpec:
    """Everything the property tests need to know about one layer, as data."""

    name: str  # the torch.nn class name, looked up on the implementation under test
    hyperparams: Callable[[], st.SearchStrategy[dict]]
    input_shape: Callable[[HyperParams], st.SearchStrategy[Shape]]
    forward: ForwardRef
    vjp: VjpRef
    out_shape: Callable[[HyperParams, Shape], Shape]
    param_shapes: Callable[[HyperParams], dict[str, Shape]]
    forward_error: ForwardScale
    vjp_error: VjpScale
    invalid: Callable[[], st.SearchStrategy[InvalidCase]]
    buffer_shapes: Callable[[HyperParams], dict[str, Shape]] = lambda hp: {}
    # Default initialisation law of each parameter, as a function of hp.
    init: Callable[[HyperParams], dict[str, InitLaw]] = lambda hp: {}
    # "none": train and eval compute the same; "dropout": random mask in train;
    # "batch_stats": batch statistics and buffer updates in train.
    mode: str = "none"
    # Buffers' starting values (e.g. a positive running_var); default: torch's own.
    buffer_values: Callable[[HyperParams], st.SearchStrategy[dict]] | None = None
    # Stochastic layers: the realised randomness, read off a probe. The harness runs a
    # copy of the module on an all-ones input under the same RNG state as the real
    # call, so (probe_x, probe_y, hp, training) -> anything the reference accepts.
    # (Reading it off the real output would leave it undetermined where x == 0.)
    recover_randomness: Callable[[Array, Array, HyperParams, bool], Any] = (
        lambda x, y, hp, training: None
    )
    # Points where the map is not differentiable; gradcheck inputs keep away from them.
    kinks: tuple[float, ...] = ()
    twice_differentiable: bool = True
    # Largest |x| the input strategy draws (exp-based maps are pushed further).
    max_magnitude: float = 1e2
    # Inputs whose reductions hold a single element are legitimate but degenerate
    # (e.g. BatchNorm in training); a spec filters what torch rejects instead.
    notes: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Hypothesis prints the failing test's arguments: the name says it all.
        return f"<LayerSpec {self.name}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis' pretty-printer expands dataclasses field by field unless told.
        printer.text(repr(self))
