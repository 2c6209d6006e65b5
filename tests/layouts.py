"""Memory layouts of a tensor: the same values, stored contiguously, strided or channels_last.

The layouts property (tests/test_layouts.py) feeds each layer its input, and the
backward its grad_output, in every layout; its corner pass pairs the input's layout with
every class of the layer, and channels_last with every pair of classes
(tests/corners.py: layout_corners), so that channels_last meets a depthwise convolution
with a strided single-column output, and a strided input a window past the padding, in
every run. A layout a
row of classes cannot have (channels_last of a 3-D input) is not asked for: the spec says
which input ranks its classes allow (LayerSpec.input_ranks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from hypothesis import strategies as st

from spec.layerspec import LayerSpec

CONTIGUOUS, STRIDED, CHANNELS_LAST = "contiguous", "strided", "channels_last"
LAYOUTS = (CONTIGUOUS, STRIDED, CHANNELS_LAST)
LAYOUT_DIMENSION = "input layout"

# Tensors are made non-contiguous by striding a non-last dimension: every other
# element of a tensor twice as long, so the data pointer walks with stride 2.
STRIDE = 2


def layouts_for(ndim: int) -> list[str]:
    """The layouts a tensor of `ndim` dims can take: strided needs a non-last dimension,
    channels_last a 4-D tensor."""
    names = [CONTIGUOUS]
    if ndim >= 2:
        names.append(STRIDED)
    if ndim == 4:
        names.append(CHANNELS_LAST)
    return names


def _possible(ranks: frozenset[int]) -> set[str]:
    return {layout for rank in ranks for layout in layouts_for(rank)}


def layout_classes(spec: LayerSpec) -> dict[str, tuple[str, ...]]:
    """The input layout as a dimension of classes: the layouts some input of the spec takes."""
    possible = _possible(spec.input_ranks({}))
    return {LAYOUT_DIMENSION: tuple(name for name in LAYOUTS if name in possible)}


def layout_impossible(spec: LayerSpec) -> Callable[[Mapping[str, str]], bool]:
    """The spec's impossible rows, and rows whose classes leave no input of the row's layout."""

    def impossible(row: Mapping[str, str]) -> bool:
        classes = {dim: value for dim, value in row.items() if dim != LAYOUT_DIMENSION}
        if spec.impossible(classes):
            return True
        layout = row.get(LAYOUT_DIMENSION)
        return layout is not None and layout not in _possible(spec.input_ranks(classes))

    return impossible


def strided_copy(values: torch.Tensor, dim: int) -> torch.Tensor:
    """The same values in a non-contiguous view: dimension `dim` has stride doubled."""
    shape = list(values.shape)
    shape[dim] *= STRIDE
    wide = torch.zeros(shape, dtype=values.dtype, device=values.device)
    view = wide[(slice(None),) * dim + (slice(None, None, STRIDE),)]
    # copy_ into the view is recorded by autograd, so gradients reach `values`.
    view.copy_(values)
    return view


def strided_dims(shape: tuple) -> st.SearchStrategy[int]:
    """A non-last dimension to stride: one of size > 1, where there is one (striding a
    size-1 dimension changes nothing torch looks at); the last stays unit-stride, the
    common case kernels vectorise over."""
    wide = [i for i, size in enumerate(shape[:-1]) if size > 1]
    return st.sampled_from(wide or [0])


def arrange(values: torch.Tensor, layout: str, dim: int) -> torch.Tensor:
    """`values` in `layout` (striding dimension `dim` where strided)."""
    if layout == STRIDED:
        return strided_copy(values, dim)
    if layout == CHANNELS_LAST:
        return values.contiguous(memory_format=torch.channels_last)
    return values
