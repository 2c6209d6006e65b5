"""gradients: autograd's input and parameter gradients equal the reference VJP."""

from hypothesis import given, strategies as st

from spec.values import arrays
from tests.cases import build_case, draw_case
from tests.checks import check_gradients
from tests.paths import Need
from tests.tensors import as_received, to_torch

NEEDS = frozenset({Need.AUTOGRAD, Need.PARAMETERS})

# grad_output values reach this magnitude: enough to scale every gradient visibly.
GRAD_MAGNITUDE = 10.0


@given(data=st.data())
def test_gradients(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    out_shape = layer.out_shape(case.hp, case.input_shape)
    grad_y = as_received(data.draw(arrays(out_shape, GRAD_MAGNITUDE, "grad_y")), dtype)
    x = to_torch(case.x, dtype, device, requires_grad=True)
    # A clone, not the leaf itself: in-place layers (inplace=True) may not write into a leaf.
    module = build_case(nn, case)
    check_gradients(case, module, x, x.clone(), grad_y, to_torch(grad_y, dtype, device))
