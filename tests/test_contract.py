"""contract: the implementation's class is a drop-in for torch.nn's, as a user relies on it.

The class is an nn.Module whose constructor takes torch's arguments with torch's documented
defaults (LayerSpec.defaults: an implementation whose LayerNorm defaults eps to 1e-6 gives
other numbers wherever a user leaves eps out, and passes every other property, which always
passes eps); a built module survives copy.deepcopy with its values and classes, and holds
its parameters as nn.Parameter (optimizers, get_parameter, state_dict rely on it). An
argument torch takes and the implementation does not is not a violation here: the draws
that need it are rejected and counted (docs/impl-contract.md). Each cell also lists its row
of the report's contract table.
"""

import copy
import inspect

import torch
from hypothesis import given, strategies as st

from report.interface import record_contract
from tests.cases import build, draw_configuration, layer_class
from tests.impl import FACTORY_KWARGS
from tests.paths import Need

# The class as constructed is the subject, not a call: no path changes it.
NEEDS = frozenset({Need.UNCHANGED_MODULE})
CORNERS = "hyperparameter classes"


def _signature(cls: type) -> dict[str, object]:
    """Every named constructor argument and its default (inspect.Parameter.empty: none)."""
    parameters = inspect.signature(cls).parameters.values()
    return {
        p.name: p.default
        for p in parameters
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in FACTORY_KWARGS
    }


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return a is b


def _contract_row(layer, cls: type) -> list[str]:
    """The class's row of the contract table; the violations it shows."""
    torch_args = _signature(getattr(torch.nn, layer.name, cls))
    args = _signature(cls)
    lacks = sorted(set(torch_args) - set(args))
    wrong_defaults = [
        f"{name}={args[name]!r} (torch: {default!r})"
        for name, default in layer.defaults.items()
        if name in args and not _same(args[name], default)
    ]
    record_contract(
        layer=layer.name,
        implemented_by=f"{cls.__module__}.{cls.__qualname__}",
        module=str(issubclass(cls, torch.nn.Module)),
        lacks=", ".join(f"{name}=" for name in lacks) or "-",
        defaults="; ".join(wrong_defaults) or "as torch's",
    )
    return [f"constructor defaults differ: {'; '.join(wrong_defaults)}"] if wrong_defaults else []


def _same_values(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    one = dict(a.state_dict())
    two = dict(b.state_dict())
    return one.keys() == two.keys() and all(torch.equal(one[k], two[k]) for k in one)


@given(data=st.data())
def test_contract(layer, path, nn, data):
    cls = layer_class(nn, layer.name)
    violations = _contract_row(layer, cls)
    if not issubclass(cls, torch.nn.Module):
        violations.append(f"{cls} is not a torch.nn.Module")
    hp = draw_configuration(data, layer, nn).hp
    module = build(nn, layer, hp, "cpu", "float32")
    not_parameters = [
        name
        for name, value in vars(module).get("_parameters", {}).items()
        if value is not None and not isinstance(value, torch.nn.Parameter)
    ]
    if not_parameters:
        violations.append(f"parameters that are not nn.Parameter: {not_parameters}")
    copied = copy.deepcopy(module)
    if type(copied) is not type(module) or not _same_values(copied, module):
        violations.append("copy.deepcopy changed the module's class or values")
    assert not violations, f"{layer.name}(**{hp}): " + "; ".join(violations)
