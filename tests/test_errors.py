"""Property 5, errors: invalid configurations raise torch's documented exception.

A rejected input must also leave the module as it was: no half-updated buffers.
"""

import pytest
import torch
from hypothesis import given, note, strategies as st

from spec.known_failures import known_failure_for
from tests.harness import build, to_torch


def snapshot(module: torch.nn.Module) -> dict:
    state = {name: t.detach().clone() for name, t in module.state_dict().items()}
    return {"state": state, "training": [m.training for m in module.modules()]}


def same_snapshot(before: dict, after: dict) -> bool:
    if before["training"] != after["training"] or before["state"].keys() != after["state"].keys():
        return False
    return all(torch.equal(before["state"][k], after["state"][k]) for k in before["state"])


@given(data=st.data())
def test_errors(layer, device, nn, conformance_record, data):
    conformance_record["examples"] += 1
    case = data.draw(layer.invalid(), label="invalid case")
    expect = f"expect {case.exception.__name__} ({case.why})"
    note(f"{layer.name}(**{case.hp}) input_shape={case.input_shape}: {expect}")
    if case.input_shape is None:
        with pytest.raises(case.exception):
            build(nn, layer, case.hp, device, "float32")
        return
    module = build(nn, layer, case.hp, device, "float32")
    module.train(data.draw(st.booleans(), label="training"))
    if (known := known_failure_for(layer.name, "float32", case.hp, "raises")) is not None:
        note(f"skipped: known torch failure {known.id} accepts this input")
        return
    before = snapshot(module)
    x = to_torch(torch.ones(case.input_shape, dtype=torch.float64).numpy(), "float32", device)
    with pytest.raises(case.exception):
        module(x)
    known = known_failure_for(layer.name, "float32", case.hp, "unchanged state", module.training)
    if known is not None:
        note(f"state check skipped: known torch failure {known.id}")
        return
    assert same_snapshot(before, snapshot(module)), (
        f"{layer.name}(**{case.hp}): a rejected input ({case.why}) changed the module's state"
    )
