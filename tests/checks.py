"""The comparisons with the reference that several properties share, written once.

`check_forward` runs the module and compares its output with the reference computed
from the buffers the module held when called, and its parameters after the call with
what the forward may write into them (nothing, for almost every layer);
`check_gradients` runs it the same way, backpropagates a drawn output gradient and
compares every gradient too: the input's (unless x is indices), each parameter's, and
each floating-point argument's (a loss's float target).
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import note, reject

from spec.exact import representable
from spec.inputs import Inputs
from tests import flight_recorder
from tests.assertions import (
    assert_bitwise,
    assert_matches_reference,
    tolerance_bound,
    violated,
)
from tests.cases import Case, argument_tensors, inputs_for, kernels_for, run_with_probe
from tests.known_failures import Check, carve_out, carve_out_quantities
from tests.paths import Need
from tests.paths.routing import current as current_path
from tests.repro import crash_snippet
from tests.tensors import to_numpy


def _bound(
    case: Case, what: str, expected: np.ndarray, scale: tuple, exact: frozenset
) -> np.ndarray:
    """The allowed error of quantity `what`: none at all when the case says it is exact.

    An exact claim needs the reference itself to be a value of the dtype; a draw where it
    is not (the case's conditions did not hold) is left out, not judged.
    """
    if what in exact or ("parameters" in exact and what in case.params):
        if not representable(expected, case.dtype):
            note(f"left out: the exact reference for {what} is not a {case.dtype} value")
            reject()
        return np.zeros(np.shape(expected))
    return tolerance_bound(case.dtype, scale)


def check_parameter_writes(
    case: Case, module: torch.nn.Module, inputs: Inputs, exact: frozenset = frozenset()
) -> None:
    """After a forward call, each parameter holds what the reference says the call wrote
    into it (LayerSpec.forward_writes), and every other parameter is bitwise as loaded."""
    written = case.spec.forward_writes(inputs)
    for name, parameter in module.named_parameters():
        after = to_numpy(parameter)
        if name in written:
            value, scale = written[name]
            bound = _bound(case, "written", value, scale, exact)
            what = f"{name} after the forward call"
            assert_matches_reference(after, value, bound, what=what, case=case)
        elif name in case.params:
            what = f"{name} after the forward call (no forward writes it)"
            assert_bitwise(after, case.params[name], what, case)


def check_forward(
    case: Case,
    module: torch.nn.Module,
    x_in: torch.Tensor,
    exact: frozenset = frozenset(),
    arguments: tuple[torch.Tensor, ...] | None = None,
    unjudged: frozenset = frozenset(),
) -> torch.Tensor:
    """module(x_in, *arguments) equals the reference within the tolerance table (exactly,
    for the quantities in `exact`), and so do the parameters after it; returns torch's
    output. `arguments` default to the case's, as tensors requiring no grad. "output"
    in `unjudged` (a known failure's) leaves the output uncompared."""
    layer = case.spec
    if arguments is None:
        arguments = argument_tensors(case)
    before = inputs_for(case, module)
    y, probe_x, probe_y = run_with_probe(module, x_in, arguments)
    in_place = Need.IN_PLACE in current_path().provides
    if in_place and layer.writes_in_place(case.hp) and y.data_ptr() != x_in.data_ptr():
        # inplace=True promises the result is written into the input tensor itself.
        raise violated(f"{case.describe()}: writes in place, yet returned a new tensor", case)
    inputs = before.replace(
        randomness=layer.recover_randomness(probe_x, probe_y, case.hp, case.training)
    )
    expected = layer.forward(inputs)[0]
    if "output" not in unjudged:
        bound = _bound(case, "output", expected, layer.forward_error(inputs), exact)
        assert_matches_reference(to_numpy(y), expected, bound, what="output", case=case)
    if Need.PARAMETERS in current_path().provides:
        # A path that runs the module's own Parameters: what the call wrote is in them.
        check_parameter_writes(case, module, inputs, exact)
    case.extra["inputs"] = inputs
    return y


def check_gradients(
    case: Case,
    module: torch.nn.Module,
    x_leaf: torch.Tensor,
    x_in: torch.Tensor,
    grad_y: np.ndarray,
    grad_y_tensor: torch.Tensor,
    exact: frozenset = frozenset(),
    unjudged: frozenset = frozenset(),
) -> None:
    """Backpropagate grad_y through module(x_in, *arguments); output and gradients equal
    the reference, but for the quantities in `unjudged` (known failures break them).

    x_in is computed from the leaf x_leaf (a clone, a strided view, another memory
    format) so in-place layers can run and layouts can vary; the input gradient is
    read off the leaf, unless x is indices, which have none. The case's floating-point
    arguments are leaves of their own, and their gradients are compared by name.
    """
    layer = case.spec
    # A recorded crash in a backward: running it would end the process.
    where = case.where(case.extra.get("layout", "contiguous"))
    carve_out(Check.SURVIVES, where)
    if where.layout != "contiguous":
        # draw_case left out the contiguous case's known wrong values; a failure of this
        # layout's own kernel (channels_last) is known only now.
        carve_out(Check.VALUES, where)
    # A recorded wrong backward (on this path): the case is left out, or only the
    # gradients the entry names (KnownFailure.quantities) go unjudged.
    unjudged = unjudged | carve_out_quantities(Check.GRADIENTS, where)
    flight_recorder.record(case.describe(), crash_snippet(case))
    arguments = argument_tensors(case, requires_grad=True)
    y = check_forward(case, module, x_in, exact, arguments, unjudged)
    with kernels_for(f"{layer.name} backward on {case.device} for {case.dtype}"):
        y.backward(grad_y_tensor)
    inputs = case.extra["inputs"].with_grad(grad_y)
    expected = layer.vjp(inputs)
    scales = layer.vjp_error(inputs)
    actual = {"input": x_leaf.grad} if x_leaf.is_floating_point() else {}
    actual |= {
        name: argument.grad
        for name, argument in zip(layer.argument_names, arguments, strict=True)
        if argument.is_floating_point()
    }
    actual |= {name: p.grad for name, p in module.named_parameters()}
    if set(expected) != set(actual):
        raise violated(
            f"{case.describe()}: autograd produced gradients for {sorted(actual)}, "
            f"the reference for {sorted(expected)}",
            case,
        )
    for name, reference in expected.items():
        if name in unjudged:
            continue
        if actual[name] is None:
            raise violated(f"{case.describe()}: no gradient reached {name}", case)
        assert_matches_reference(
            to_numpy(actual[name]),
            reference,
            _bound(case, name, reference, scales[name], exact),
            what=name,
            case=case,
            grad_y=grad_y,
        )
