"""shape: the output shape equals the closed-form law for every drawn config."""

from hypothesis import given, strategies as st

from tests.cases import argument_tensors, build_case, call_valid, draw_case
from tests.known_failures import Check
from tests.tensors import to_torch

# A forward call is all it needs: it runs on every path.
NEEDS: frozenset = frozenset()


@given(data=st.data())
def test_shape(layer, device, dtype, path, nn, data):
    # Only known failures that break the shape (a call that raises) leave cases out here:
    # a wrong value elsewhere in the output does not make its shape wrong.
    case = draw_case(data, layer, dtype, device, nn, check=Check.SHAPE)
    module = build_case(nn, case)
    y = call_valid(module, to_torch(case.x, dtype, device), *argument_tensors(case))
    law = layer.out_shape(case.hp, case.input_shape)
    assert tuple(y.shape) == law, f"{case.describe()}: output shape {tuple(y.shape)}, law {law}"
