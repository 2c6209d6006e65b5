"""exact: on inputs whose answer every correct algorithm gives exactly, torch gives exactly that.

Each layer's exact cases (spec/exact.py, declared in its spec with the reason they are
exact) are drawn in turn: small-integer inputs of linear ops, constant rows of
normalisations, equal logits, zeros; the quantities a case names must equal the
reference bit for bit, in every dtype. A symmetry compares two of torch's own results.
"""

import dataclasses

import numpy as np
import torch
from hypothesis import given, note, strategies as st

from report.interface import cover, not_run
from spec.exact import Symmetry
from tests import corners
from tests.assertions import assert_bitwise
from tests.cases import Case, argument_tensors, build_case, in_release, kernels_for
from tests.checks import check_forward, check_gradients
from tests.known_failures import Check, carve_out_quantities
from tests.paths import Need
from tests.tensors import as_received, module_buffers, to_numpy, to_torch

# Each exact case draws its own configurations; the corner pass runs every case once,
# so that no case goes undrawn in a run (tests/corners.py: exact_corners).
CORNERS = "exact cases"
# Nothing the paths must provide: where a path has autograd the gradients are judged
# too; where it runs eval alone (inference runtimes), a case that needs training mode is
# left out, and the output alone is judged.
NEEDS: frozenset = frozenset()


def _rounded(values: dict, dtype: str) -> dict:
    return {k: v if v.dtype.kind == "i" else as_received(v, dtype) for k, v in values.items()}


def _case(layer, hp, inputs, dtype, device, nn) -> Case:
    case = Case(
        spec=layer,
        hp=dict(hp),
        input_shape=tuple(inputs.x.shape),
        training=inputs.training,
        x=as_received(inputs.x, dtype),
        params=_rounded(dict(inputs.params), dtype),
        buffers=_rounded(dict(inputs.buffers), dtype) if inputs.buffers else None,
        dtype=dtype,
        device=device,
        impl=nn.__name__,
    )
    case.arguments = tuple(as_received(a, dtype) for a in inputs.arguments)
    return case


@given(data=st.data())
def test_exact(layer, device, dtype, path, nn, data):
    if not layer.exact:
        not_run("not-applicable", f"{layer.name} declares no exact case")
    device_type = device.partition(":")[0]
    claims = [
        c for c in layer.exact if getattr(c, "devices", None) in (None,) or device_type in c.devices
    ]
    corner = corners.forced.get()
    if corner is not None:
        claims = [c for c in claims if c.name == corner["exact case"]]
        if not claims:
            corners.leave_out(f"{corner['exact case']} does not cover {device_type}")
    if not claims:
        not_run("not-applicable", f"{layer.name}'s exact cases do not cover {device_type}")
    claims = runnable_claims(claims, path)
    if corner is not None and not claims:
        corners.leave_out(f"{corner['exact case']} cannot be judged on {path.name}")
    if not claims:
        not_run("not-applicable", f"{layer.name}'s exact cases need what {path.name} lacks")
    claim = data.draw(st.sampled_from(claims), label="exact case")
    hp = data.draw(
        claim.hyperparams(layer) if claim.hyperparams else layer.hyperparams(), label="hp"
    )
    in_release(nn, layer, hp)
    inputs = data.draw(claim.inputs(layer, hp, dtype), label="inputs")
    provides = path.provides
    if inputs.training and Need.TRAIN_MODE not in provides:
        # A case exact in either mode drew training: eval is what this path runs.
        corners.leave_out(f"{claim.name} drew train mode, which {path.name} does not run")
    case = _case(layer, hp, inputs, dtype, device, nn)
    # A known failure that breaks some quantities of the case leaves the others judged.
    where = case.where()
    unjudged = carve_out_quantities(Check.VALUES, where) | carve_out_quantities(Check.EXACT, where)
    # A wrong backward that depends on the gradient reaching the output and the weights
    # (float16 columns of W^T g) is known only with them.
    with_gradient = dataclasses.replace(
        where, grad_y=as_received(inputs.g, dtype), params=case.params
    )
    unjudged |= carve_out_quantities(Check.GRADIENTS, with_gradient)
    note(f"{claim.name}: {case.describe()}")
    if unjudged:
        note(f"not judged (known failures): {sorted(unjudged)}")
    cover(f"exact={claim.name}")
    grad_y = as_received(inputs.g, dtype)
    if isinstance(claim, Symmetry):
        _symmetric(claim, case, nn, grad_y, Need.AUTOGRAD in provides)
        return
    module = build_case(nn, case)
    if Need.AUTOGRAD not in provides:
        x = to_torch(case.x, dtype, device)
        check_forward(case, module, x, frozenset(claim.exact), None, unjudged)
        return
    x = to_torch(case.x, dtype, device, requires_grad=True)
    exact = frozenset(claim.exact)
    grad_y_tensor = to_torch(grad_y, dtype, device)
    check_gradients(case, module, x, x.clone(), grad_y, grad_y_tensor, exact, unjudged)
    if "buffers" in exact and "buffers" not in unjudged:
        expected = layer.forward(case.extra["inputs"])[1]
        for name, value in module_buffers(module).items():
            assert_bitwise(value, expected[name], f"{name} after the call", case)


def runnable_claims(claims: list, path) -> list:
    """The claims a path can judge: a case exact only in train mode needs a path that
    runs it; without autograd, only cases that name the output (a symmetry always does)."""
    if Need.TRAIN_MODE not in path.provides:
        claims = [c for c in claims if getattr(c, "training", None) is not True]
    if Need.AUTOGRAD not in path.provides:
        claims = [c for c in claims if isinstance(c, Symmetry) or "output" in c.exact]
    return claims


def _run(
    nn, case: Case, x: np.ndarray, grad_y: np.ndarray, backward: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    module = build_case(nn, case)
    x_leaf = to_torch(x, case.dtype, case.device, requires_grad=backward)
    with kernels_for(f"{case.spec.name} on {case.device} for {case.dtype}"):
        y = module(x_leaf.clone(), *argument_tensors(case))
        if not backward:
            return to_numpy(y), None
        y.backward(to_torch(grad_y, case.dtype, case.device))
    return to_numpy(y), to_numpy(x_leaf.grad)


def _symmetric(claim: Symmetry, case: Case, nn, grad_y: np.ndarray, backward: bool) -> None:
    y, grad = _run(nn, case, case.x, grad_y, backward)
    mirrored_x = claim.transform_x(case.x)
    y_m, grad_m = _run(nn, case, mirrored_x, grad_y, backward)
    # Bitwise, signed zeros included: -0.0 and 0.0 are different answers here.
    _same_bits(y_m, claim.transform_y(y), f"output at the mirrored input ({claim.name})", case)
    if backward and claim.transform_grad is not None:
        # Values, not bits: a zero gradient's sign says nothing about the derivative.
        what = f"input gradient at the mirrored input ({claim.name})"
        assert_bitwise(grad_m, claim.transform_grad(grad), what, case)


def _same_bits(actual: np.ndarray, expected: np.ndarray, what: str, case: Case) -> None:
    as_bits = torch.from_numpy(np.ascontiguousarray(actual)).view(torch.int64).numpy()
    expected_bits = torch.from_numpy(np.ascontiguousarray(expected)).view(torch.int64).numpy()
    assert_bitwise(as_bits, expected_bits, what, case)
