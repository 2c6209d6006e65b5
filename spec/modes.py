"""How train() and eval() change what a layer computes: typed laws the modes property reads.

A layer's `mode` says, as data, everything that differs between its two modes; the
modes property (tests/test_modes.py) checks each law that is present and never asks
which layer it is looking at:

- `same_in_train_and_eval(hp)`: both modes compute bitwise the same output;
- `keep`: training keeps each element independently with a probability q fixed by hp,
  dividing the kept ones by q (Dropout);
- `buffers`: training calls update buffers, as the reference's new buffers say within
  the stated error scales, and eval calls never touch them (BatchNorm's running stats).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spec.inputs import Inputs
    from spec.layerspec import ErrorScale

HyperParams = Mapping[str, Any]


def _always(hp: HyperParams) -> bool:
    return True


@dataclass(frozen=True)
class KeepLaw:
    """Training keeps each element with probability q = `probability(hp)`, divided by q
    (inverted dropout: the expected output is the input), and zeroes the others."""

    probability: Callable[[HyperParams], float]
    # Hyperparameters that give keep probability q, the rest of hp unchanged.
    with_probability: Callable[[HyperParams, float], dict]


@dataclass(frozen=True)
class BufferLaw:
    """Training updates buffers to the reference's new values, within these error scales."""

    # Per floating-point buffer, its error scale given the call's inputs and the buffers
    # before it; integer buffers (counters) must match exactly.
    error: Callable[[Inputs], dict[str, ErrorScale]]


@dataclass(frozen=True)
class Mode:
    """The laws that relate a layer's train and eval behaviour."""

    same_in_train_and_eval: Callable[[HyperParams], bool] = _always
    keep: KeepLaw | None = None
    buffers: BufferLaw | None = None


MODE_FREE = Mode()
