"""layouts: channels_last and non-contiguous tensors give the contiguous answers.

Every layout variant of the input (and of grad_output) is checked against the same
reference with the same tolerance as the contiguous case, so a kernel that reads
strides wrongly fails here even when the contiguous path is right.
"""

import torch
from hypothesis import given, note, strategies as st

from report.interface import cover
from tests import corners
from tests.cases import build_case, draw_case, draw_grad_output
from tests.checks import check_gradients
from tests.layouts import CHANNELS_LAST, LAYOUT_DIMENSION, arrange, layouts_for, strided_dims
from tests.paths import Need
from tests.tensors import to_torch

NEEDS = frozenset({Need.AUTOGRAD, Need.PARAMETERS})

# Pairs the input's layout with every class of the layer (its value classes too), and
# channels_last with every pair of classes (tests/corners.py: layout_corners).
CORNERS = "classes and layouts"
# grad_output values reach this magnitude, as in the gradients property.
GRAD_MAGNITUDE = 10.0


def _input_layout(data, ndim: int) -> str:
    """The corner's layout where a corner asks for one, else any the input can take."""
    available = layouts_for(ndim)
    wanted = (corners.forced.get() or {}).get(LAYOUT_DIMENSION)
    if wanted is None:
        return data.draw(st.sampled_from(available), label="input layout")
    if wanted not in available:
        corners.leave_out(f"a {ndim}-D input has no {wanted} layout")
    return wanted


@given(data=st.data())
def test_layouts(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    layout = _input_layout(data, len(case.input_shape))
    cover(f"{LAYOUT_DIMENSION}={layout}")
    case.extra["layout"] = layout
    out_shape = layer.out_shape(case.hp, case.input_shape)
    grad_layout = data.draw(st.sampled_from(layouts_for(len(out_shape))), label="grad layout")
    case.extra["grad_layout"] = grad_layout
    dim = data.draw(strided_dims(case.input_shape), label="strided dim")
    grad_dim = data.draw(strided_dims(out_shape), label="grad strided dim")
    note(f"input {layout} (dim {dim}), grad_output {grad_layout} (dim {grad_dim})")

    module = build_case(nn, case)
    if layout == CHANNELS_LAST:
        module = module.to(memory_format=torch.channels_last)
    x = to_torch(case.x, dtype, device, requires_grad=True)
    # Derived from the leaf through `* 1` so in-place layers may write into it.
    x_in = arrange(x * 1, layout, dim)
    grad_y = draw_grad_output(data, case, GRAD_MAGNITUDE)
    grad_in = arrange(to_torch(grad_y, dtype, device), grad_layout, grad_dim)
    check_gradients(case, module, x, x_in, grad_y, grad_in)
