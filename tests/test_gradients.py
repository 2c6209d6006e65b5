"""gradients: autograd's input and parameter gradients equal the reference VJP."""

from hypothesis import given, strategies as st

from tests.cases import build_case, draw_case, draw_grad_output, judged_cases, load_values
from tests.checks import check_gradients
from tests.known_failures import Check
from tests.paths import Need
from tests.tensors import to_torch

NEEDS = frozenset({Need.AUTOGRAD, Need.PARAMETERS})

# Pairs the layer's value classes (an input with a grad_output) with every other class.
CORNERS = "classes and values"

# grad_output values reach this magnitude: enough to scale every gradient visibly.
GRAD_MAGNITUDE = 10.0


@given(data=st.data())
def test_gradients(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    module = build_case(nn, case)
    # One build, several drawn values where building is the cost (compile, export).
    judgements = judged_cases(
        data, case, Check.GRADIENTS, lambda judged: draw_grad_output(data, judged, GRAD_MAGNITUDE)
    )
    for judged, grad_y in judgements:
        x = to_torch(judged.x, dtype, device, requires_grad=True)
        # A clone, not the leaf: in-place layers (inplace=True) may not write into a leaf.
        load_values(module, judged)
        check_gradients(judged, module, x, x.clone(), grad_y, to_torch(grad_y, dtype, device))
