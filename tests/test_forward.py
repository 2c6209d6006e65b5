"""Property 2, forward: torch's values equal the reference within the tolerance table."""

from hypothesis import given, strategies as st

from tests.harness import (
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
def test_forward(layer, device, dtype, nn, conformance_record, data):
    conformance_record["examples"] += 1
    case = draw_case(data, layer, dtype, device)
    module = build_case(nn, case)
    buffers = case.buffers if case.buffers is not None else module_buffers(module)
    x = to_torch(case.x, dtype, device)
    y_tensor, probe_x, probe_y = run_with_probe(module, x)
    y = to_numpy(y_tensor)
    if case.hp.get("inplace"):
        # inplace=True promises the result is written into the input tensor itself.
        assert y_tensor.data_ptr() == x.data_ptr(), f"{case.describe()}: output is a new tensor"
    randomness = layer.recover_randomness(probe_x, probe_y, case.hp, case.training)
    args = (case.x, case.params, buffers, case.hp, case.training, randomness)
    expected, _ = layer.forward(*args)
    bound = tolerance_bound(dtype, layer.forward_error(*args))
    assert_matches_reference(
        y, expected, bound, what="output", case=case, record=conformance_record
    )
