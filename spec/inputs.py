"""Inputs: everything one call of a layer receives, as the reference and error scales read it.

One frozen object instead of a positional tuple: a reference reads the fields it needs
(an elementwise map reads `x` alone), and adding a field never changes a signature.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spec.arguments import is_index

Array = np.ndarray


@dataclass(frozen=True)
class Inputs:
    """One call: input values, parameters, buffers, hyperparameters and mode, float64.

    `x` is float64 values, or an integer array of indices (nn.Embedding's input);
    `arguments` are the tensors the call takes after x, in the order of the spec's
    `argument_names` (a loss's target: float64 values or integer class indices).
    `randomness` is what a stochastic layer realised (Dropout's keep mask), read off
    torch; `grad_y` is the output gradient, for a VJP and its error scale.
    """

    x: Array
    hp: Mapping[str, Any]
    params: Mapping[str, Array] = field(default_factory=dict)
    buffers: Mapping[str, Array] = field(default_factory=dict)
    training: bool = False
    randomness: Any = None
    grad_y: Array | None = None
    arguments: tuple[Array, ...] = ()

    def with_grad(self, grad_y: Array) -> Inputs:
        """The same call, with the output gradient a VJP needs."""
        return dataclasses.replace(self, grad_y=grad_y)

    def replace(self, **changes: Any) -> Inputs:
        """The same call with some fields changed."""
        return dataclasses.replace(self, **changes)

    def absolute(self) -> Inputs:
        """The same call on absolute values of x, parameters, float arguments and grad_y.

        For an op linear in each argument this call bounds every rounding error of the
        real one (spec/tolerances.py): the op on absolute values is its error scale.
        Indices stay as they are: they select, they are not summed.
        """
        return dataclasses.replace(
            self,
            x=self.x if is_index(self.x) else np.abs(self.x),
            params={name: np.abs(value) for name, value in self.params.items()},
            grad_y=None if self.grad_y is None else np.abs(self.grad_y),
            arguments=tuple(a if is_index(a) else np.abs(a) for a in self.arguments),
        )

    @property
    def g(self) -> Array:
        """The output gradient; a VJP asking for it without one is a harness error."""
        if self.grad_y is None:
            raise ValueError("this reference needs grad_y: call inputs.with_grad(grad_y)")
        return self.grad_y
