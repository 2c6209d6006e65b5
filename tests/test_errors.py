"""errors: invalid configurations raise torch's documented exception.

A rejected input must also leave the module as it was: no half-updated buffers. Any
other exception escaping, or none, is a violation of the documented behaviour.
"""

from collections.abc import Callable

import numpy as np
import torch
from hypothesis import given, note, reject, strategies as st

from tests import corners, device_assert
from tests.assertions import violated
from tests.cases import build, in_release
from tests.impl import unwrapped
from tests.known_failures import Check, Where, carve_out
from tests.paths import Need
from tests.tensors import to_torch

# Draws invalid configurations: its corners are the spec's kinds of invalid configuration.
CORNERS = "invalid kinds"

# It judges exception types: a tracer that wraps the layer's exceptions cannot be judged.
NEEDS = frozenset({Need.EXCEPTIONS})


def snapshot(module: torch.nn.Module) -> dict:
    state = {name: t.detach().clone() for name, t in module.state_dict().items()}
    return {"state": state, "training": [m.training for m in module.modules()]}


def same_snapshot(before: dict, after: dict) -> bool:
    if before["training"] != after["training"] or before["state"].keys() != after["state"].keys():
        return False
    return all(torch.equal(before["state"][k], after["state"][k]) for k in before["state"])


def assert_raises(expected: type[BaseException], call: Callable[[], object], what: str) -> None:
    """call() raises `expected` (or a subclass); anything else escaping is a violation."""
    try:
        call()
    except expected:
        return
    except Exception as error:
        raise violated(
            f"{what}: raised {type(error).__name__} ({error}), documented: {expected.__name__}"
        ) from error
    raise violated(f"{what}: raised nothing, documented: {expected.__name__}")


@given(data=st.data())
def test_errors(layer, device, path, nn, data):
    corner = corners.forced.get()
    case = data.draw(layer.invalid(corner) if corner else layer.invalid(), label="invalid case")
    if case.exception is not TypeError:
        # A case that documents another error must be constructible in this release (a
        # TypeError case passes an argument the layer lacks on purpose).
        in_release(nn, layer, case.hp)
    what = f"{layer.name}(**{case.hp}) input_shape={case.input_shape} ({case.why})"
    note(f"{what}: expect {case.exception.__name__}")
    where = Where(layer.name, "float32", device, case.hp)
    if case.input_shape is None:
        # A recorded failure to reject a constructor argument leaves its cases out too.
        carve_out(Check.RAISES, where)
        assert_raises(case.exception, lambda: build(nn, layer, case.hp, device, "float32"), what)
        return
    if case.training is not None:
        training = case.training
    elif corner and "mode" in corner:
        training = corner["mode"] == "train"
    else:
        training = data.draw(st.booleans(), label="training")
    carve_out(Check.RAISES, where)
    # The case's own values where they matter (an index out of range), else ones.
    values = np.ones(case.input_shape) if case.x is None else case.x
    if case.in_kernel and device_assert.asserts_on_device(device):
        judge_in_child(layer, device, path, nn, case, training, values, what)
        return
    module = build(nn, layer, case.hp, device, "float32")
    module.train(training)
    before = snapshot(module)
    x = to_torch(values, "float32", device)
    arguments = [to_torch(a, "float32", device) for a in case.arguments]
    assert_raises(case.exception, lambda: module(x, *arguments), what)
    carve_out(Check.UNCHANGED_STATE, Where(layer.name, "float32", device, case.hp, module.training))
    if not same_snapshot(before, snapshot(module)):
        raise violated(f"{what}: a rejected input changed the module's state")


def judge_in_child(
    layer, device, path, nn, case, training: bool, values: np.ndarray, what: str
) -> None:
    """An index the device checks inside its kernel, called in a child process: the
    call must be rejected (a device-side assertion counts). The module's state after it
    cannot be read: the child's device is unusable by then."""
    if path.transforms:
        # The child calls the module eagerly: it would not judge the path's call.
        note(f"{what}: an index {device} checks inside the kernel, on a transforming path")
        reject()
    x = to_torch(values, "float32", "cpu")
    arguments = [to_torch(a, "float32", "cpu") for a in case.arguments]
    source = device_assert.impl_source(unwrapped(nn))
    raised = device_assert.call_in_child(
        source, layer.name, case.hp, device, training, x, arguments
    )
    note(f"in a child process on {device}: {raised or 'nothing raised'}")
    if not device_assert.rejected(case.exception, raised):
        outcome = f"raised {raised}" if raised else "raised nothing"
        raise violated(
            f"{what}: {outcome}, documented: {case.exception.__name__} "
            f"(or a device-side assertion on {device})"
        )
