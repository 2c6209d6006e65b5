"""Property 4, gradients: autograd's input and parameter gradients equal the reference VJP."""

from hypothesis import given, strategies as st

from spec.values import arrays
from tests.harness import (
    as_received,
    assert_matches_reference,
    build_case,
    draw_case,
    module_buffers,
    run_with_probe,
    to_numpy,
    to_torch,
    tolerance_bound,
)


@given(data=st.data())
def test_gradients(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    case = draw_case(data, layer, dtype, device)
    module = build_case(nn, case)
    buffers = module_buffers(module)
    x = to_torch(case.x, dtype, device, requires_grad=True)
    # A clone, not the leaf itself: in-place layers (inplace=True) may not write into a leaf.
    y, probe_x, probe_y = run_with_probe(module, x.clone())
    grad_y = as_received(data.draw(arrays(tuple(y.shape), 10.0, "grad_y"), label="grad_y"), dtype)
    y.backward(to_torch(grad_y, dtype, device))

    randomness = layer.recover_randomness(probe_x, probe_y, case.hp, case.training)
    args = (case.x, case.params, buffers, case.hp, case.training, randomness, grad_y)
    expected = layer.vjp(*args)
    scales = layer.vjp_error(*args)
    actual = {"input": x.grad} | {name: p.grad for name, p in module.named_parameters()}
    assert set(expected) == set(actual), (
        f"{case.describe()}: autograd produced gradients for {sorted(actual)}, "
        f"the reference for {sorted(expected)}"
    )
    for name, reference in expected.items():
        assert actual[name] is not None, f"{case.describe()}: no gradient reached {name}"
        assert_matches_reference(
            to_numpy(actual[name]),
            reference,
            tolerance_bound(dtype, scales[name]),
            what=name,
            case=case,
            record=conformance_record,
            grad_y=grad_y,
        )
