"""Property 1, shape: the output shape equals the closed-form law for every drawn config."""

from hypothesis import given, strategies as st

from tests.harness import build_case, call_valid, draw_case, to_torch


@given(data=st.data())
def test_shape(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    case = draw_case(data, layer, dtype, device)
    y = call_valid(build_case(nn, case), to_torch(case.x, dtype, device))
    law = layer.out_shape(case.hp, case.input_shape)
    assert tuple(y.shape) == law, f"{case.describe()}: output shape {tuple(y.shape)}, law {law}"
