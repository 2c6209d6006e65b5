"""What a call takes besides its input x, and tensors a constructor takes, as plain data.

Most layers are called as module(x) on floating-point values. Some are not:

- a loss is called as module(x, target): the tensors after x are the call's *arguments*,
  drawn by the spec given the hyperparameters and the input shape (`CallArguments`);
- nn.Embedding is called on an int64 tensor of indices, which has no gradient.

The kind of a tensor is the kind of its array: a float64 array is floating-point values,
rounded to the dtype under test, with a gradient where torch gives one; an integer
array is an index tensor, passed as it is (int64 unless the spec draws another integer
type on purpose), never requiring grad.

A constructor that takes a tensor (a loss's class `weight`) gets a `TensorValue` in hp:
hp stays data (spec/ never loads torch), and its repr is the torch call that builds the
tensor, so `nn.CrossEntropyLoss(**{hp!r})` in a repro snippet is runnable code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray


def is_index(values: Array) -> bool:
    """Whether `values` is an index tensor's contents (an integer array), not float values."""
    return np.asarray(values).dtype.kind in "iu"


def indices(values: Any) -> Array:
    """`values` as an int64 index array."""
    return np.asarray(values, dtype=np.int64)


@dataclass(frozen=True)
class CallArguments:
    """The tensors a call takes after x, module(x, *values), and the classes they fall in.

    `values` are float64 (floating-point values) or integer (indices) arrays, in the order
    of `LayerSpec.argument_names`; `classes` are the {dimension: class} of
    `LayerSpec.classes` the drawn values decide (a target with some entries ignored).
    """

    values: tuple[Array, ...]
    classes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TensorValue:
    """A tensor a constructor takes (a loss's class weight), as float64 values.

    The harness hands the constructor torch.tensor(values) in float64; moving the module
    to the dtype under test rounds it there, as a user's .to(dtype) would.
    """

    values: tuple[float, ...]
    shape: tuple[int, ...]

    @classmethod
    def of(cls, values: Any) -> TensorValue:
        array = np.asarray(values, dtype=np.float64)
        return cls(tuple(float(v) for v in array.ravel()), tuple(array.shape))

    def array(self) -> Array:
        """The values as a float64 array of the tensor's shape."""
        return np.asarray(self.values, dtype=np.float64).reshape(self.shape)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 1

    def __repr__(self) -> str:
        # The torch call that builds it: hp's repr is pasted into repro snippets as code.
        items = ", ".join(repr(v) if np.isfinite(v) else f"float('{v}')" for v in self.values)
        flat = f"torch.tensor([{items}], dtype=torch.float64)"
        return flat if len(self.shape) == 1 else f"{flat}.reshape({self.shape})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis' pretty-printer would expand the dataclass field by field.
        printer.text(repr(self))
