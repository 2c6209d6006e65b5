"""Property 4, gradients: autograd's input and parameter gradients equal the reference VJP."""

from hypothesis import given, strategies as st

from spec.values import arrays
from tests.harness import (
    as_received,
    assert_gradients_match,
    build_case,
    draw_case,
    to_torch,
)


@given(data=st.data())
def test_gradients(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    case = draw_case(data, layer, dtype, device)
    out_shape = layer.out_shape(case.hp, case.input_shape)
    grad_y = as_received(data.draw(arrays(out_shape, 10.0, "grad_y"), label="grad_y"), dtype)
    x = to_torch(case.x, dtype, device, requires_grad=True)
    # A clone, not the leaf itself: in-place layers (inplace=True) may not write into a leaf.
    assert_gradients_match(
        case,
        build_case(nn, case),
        x,
        x.clone(),
        grad_y,
        to_torch(grad_y, dtype, device),
        conformance_record,
    )
