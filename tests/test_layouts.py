"""layouts: channels_last and non-contiguous tensors give the contiguous answers.

Every layout variant of the input (and of grad_output) is checked against the same
reference with the same tolerance as the contiguous case, so a kernel that reads
strides wrongly fails here even when the contiguous path is right.
"""

import torch
from hypothesis import given, note, strategies as st

from spec.values import arrays
from tests.cases import build_case, draw_case
from tests.checks import check_gradients
from tests.paths import Need
from tests.tensors import as_received, to_torch

NEEDS = frozenset({Need.AUTOGRAD, Need.PARAMETERS})

# Tensors are made non-contiguous by striding a non-last dimension: every other
# element of a tensor twice as long, so the data pointer walks with stride 2.
STRIDE = 2
# grad_output values reach this magnitude, as in the gradients property.
GRAD_MAGNITUDE = 10.0


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
    wide = [i for i, size in enumerate(shape[:-1]) if size > 1]
    return st.sampled_from(wide or [0])


def layouts_for(ndim: int) -> list[str]:
    names = ["contiguous"]
    if ndim >= 2:
        names.append("strided")
    if ndim == 4:
        names.append("channels_last")
    return names


def arrange(values: torch.Tensor, layout: str, dim: int) -> torch.Tensor:
    if layout == "strided":
        return strided_copy(values, dim)
    if layout == "channels_last":
        return values.contiguous(memory_format=torch.channels_last)
    return values


@given(data=st.data())
def test_layouts(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    layout = data.draw(st.sampled_from(layouts_for(len(case.input_shape))), label="input layout")
    case.extra["layout"] = layout
    out_shape = layer.out_shape(case.hp, case.input_shape)
    grad_layout = data.draw(st.sampled_from(layouts_for(len(out_shape))), label="grad layout")
    case.extra["grad_layout"] = grad_layout
    # Strided views stride a non-last dimension: the last one stays unit-stride, the
    # common case kernels vectorise over; any earlier dimension of size > 1 is fair game
    # (striding a size-1 dimension changes nothing torch looks at).
    dim = data.draw(strided_dims(case.input_shape), label="strided dim")
    grad_dim = data.draw(strided_dims(out_shape), label="grad strided dim")
    note(f"input {layout} (dim {dim}), grad_output {grad_layout} (dim {grad_dim})")

    module = build_case(nn, case)
    if layout == "channels_last":
        module = module.to(memory_format=torch.channels_last)
    x = to_torch(case.x, dtype, device, requires_grad=True)
    # Derived from the leaf through `* 1` so in-place layers may write into it.
    x_in = arrange(x * 1, layout, dim)
    grad_y = as_received(data.draw(arrays(out_shape, GRAD_MAGNITUDE, "grad_y")), dtype)
    grad_in = arrange(to_torch(grad_y, dtype, device), grad_layout, grad_dim)
    check_gradients(case, module, x, x_in, grad_y, grad_in)
