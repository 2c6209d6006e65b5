"""The worked examples of `--impl` (examples/impls/): each adapter keeps the contract, and
each of its known failures still reproduces, without running the suite.

- timm_nn answers the names in its MAPPED with timm's classes and every other name with
  torch.nn's own; learner_nn is partial (what it lacks is "not provided").
- Every entry of timm_known_failures.py and learner_known_failures.py is a KnownFailure
  of a layer the suite has, with an id of its own; its repro raises AssertionError on the
  implementation (the finding is still there).
- So does each repro of a finding outside the register (CONTAINER_FINDINGS: containers
  and reprs, which the model and chapter-claim properties find and no entry can scope).
- The repro is right about torch: run with torch.nn in the implementation's place it
  passes, unless the entry says it is inherited from torch ("inherited from torch
  (<id>)": timm computes with torch's kernel), and then it fails on torch too and names
  an entry of torch's register. An isolated entry's repro (a crash) runs in a child.
- opacus_nn's findings are opacus' own: each is found again through opacus'
  GradSampleModule, not only through the adapter.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys

import pytest
import torch

from spec.registry import layer_named
from tests import kernel_sets
from tests.child import run_python
from tests.known_failures import BY_ID
from tests.known_failures.entry import KnownFailure
from tests.known_failures.layers.init import INIT
from tests.known_failures.register import IMPL_KNOWN_VARIABLE

# implementation module -> its known failures
EXAMPLES = {
    "examples.impls.timm_nn": "examples.impls.timm_known_failures",
    "examples.impls.brevitas_nn": "examples.impls.brevitas_known_failures",
    "examples.impls.learner_nn": "examples.impls.learner_known_failures",
    "examples.impls.opacus_nn": "examples.impls.opacus_known_failures",
}
# implementation module -> the package (and extra) it wraps, where it wraps one
PACKAGES = {
    "examples.impls.timm_nn": "timm",
    "examples.impls.brevitas_nn": "brevitas",
    "examples.impls.opacus_nn": "opacus",
}
HAS_TIMM = importlib.util.find_spec("timm") is not None
INHERITED = re.compile(r"^inherited from torch \(([\w-]+)\)")


def installed(impl: str) -> bool:
    package = PACKAGES.get(impl)
    return package is None or importlib.util.find_spec(package) is not None


def needs(impl: str) -> list[pytest.MarkDecorator]:
    if installed(impl):
        return []
    package = PACKAGES[impl]
    return [pytest.mark.skip(reason=f"{package} is not installed (extra: {package})")]


def entries(impl: str) -> tuple[KnownFailure, ...]:
    return importlib.import_module(EXAMPLES[impl]).ENTRIES


def all_entries() -> list:
    found = []
    for impl in EXAMPLES:
        if not installed(impl):
            found.append(pytest.param(impl, None, marks=needs(impl), id=f"{impl}-skipped"))
            continue
        found += [pytest.param(impl, known, id=known.id) for known in entries(impl)]
    return found


def container_findings() -> list:
    found = []
    for impl, module in EXAMPLES.items():
        if not installed(impl):
            continue
        findings = getattr(importlib.import_module(module), "CONTAINER_FINDINGS", ())
        found += [pytest.param(impl, repro, id=name) for name, _, repro in findings]
    return found


@pytest.fixture
def torch_in_place_of(monkeypatch):
    """Put torch.nn where an example implementation is imported from, for one test."""

    def swap(impl: str) -> None:
        package, _, name = impl.rpartition(".")
        monkeypatch.setitem(sys.modules, impl, torch.nn)
        monkeypatch.setattr(importlib.import_module(package), name, torch.nn, raising=False)

    return swap


@pytest.mark.skipif(not HAS_TIMM, reason="timm is not installed (extra: timm)")
def test_timm_nn_maps_its_names_and_falls_through_to_torch():
    timm_nn = importlib.import_module("examples.impls.timm_nn")
    assert timm_nn.init is torch.nn.init
    for name, cls in timm_nn.mapped_classes().items():
        assert issubclass(cls, torch.nn.Module), name
        assert cls is not getattr(torch.nn, name), f"{name} is torch's own, not timm's"
        assert cls.__module__.startswith(("timm.", "examples.impls.timm_nn")), cls
    # Anything timm has no drop-in for is torch.nn's, looked up by name.
    assert timm_nn.ReLU is torch.nn.ReLU and timm_nn.Sequential is torch.nn.Sequential
    # No stand-in is left behind where torchvision could not load.
    assert "torchvision.ops.misc" not in sys.modules or hasattr(
        sys.modules["torchvision.ops.misc"], "__file__"
    )


@pytest.mark.skipif(not installed("examples.impls.brevitas_nn"), reason="brevitas is not installed")
def test_brevitas_nn_maps_its_names_to_brevitas_layers_with_quantization_off():
    brevitas_nn = importlib.import_module("examples.impls.brevitas_nn")
    for name, (brevitas_name, off) in brevitas_nn.MAPPED.items():
        cls = getattr(brevitas_nn, name)
        assert cls.__mro__[1].__name__ == brevitas_name and cls.__mro__[1].__module__.startswith(
            "brevitas."
        ), cls.__mro__
        defaults = inspect.signature(cls).parameters
        assert all(defaults[argument].default is value for argument, value in off.items()), name
    # Quantization off: the float layer computes torch's numbers (one hand check).
    x = torch.tensor([[1.0, -2.0]])
    linear = brevitas_nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[3.0, 0.5]]))
    assert linear(x).item() == 2.0 and brevitas_nn.ReLU()(x).tolist() == [[1.0, 0.0]]
    assert brevitas_nn.LayerNorm is torch.nn.LayerNorm and brevitas_nn.init is torch.nn.init


@pytest.mark.skipif(not installed("examples.impls.opacus_nn"), reason="opacus is not installed")
def test_opacus_nn_routes_parameter_gradients_through_opacus():
    opacus_nn = importlib.import_module("examples.impls.opacus_nn")
    for name, cls in opacus_nn.mapped_classes().items():
        assert cls.__mro__[1] is getattr(torch.nn, name), name
    assert opacus_nn.BatchNorm2d is torch.nn.BatchNorm2d and opacus_nn.init is torch.nn.init
    # On a batch, the summed per-sample gradients are the gradients, and the input's
    # gradient is autograd's.
    torch.manual_seed(0)
    mine, theirs = opacus_nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict(mine.state_dict())
    x = torch.randn(4, 3, requires_grad=True)
    mine(x).square().sum().backward()
    input_grad = x.grad.clone()
    x.grad = None
    theirs(x).square().sum().backward()
    assert torch.allclose(input_grad, x.grad)
    for p, q in zip(mine.parameters(), theirs.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, atol=1e-6), (p.grad, q.grad)
    # opacus is really asked: its grad sampler is what fills the gradient.
    calls = []
    samplers = importlib.import_module("opacus").GradSampleModule.GRAD_SAMPLERS
    original = samplers[torch.nn.Linear]
    samplers[torch.nn.Linear] = lambda *args: calls.append(1) or original(*args)
    try:
        mine(x).sum().backward()
    finally:
        samplers[torch.nn.Linear] = original
    assert calls == [1]


def _opacus_gap(layer: torch.nn.Module, x: torch.Tensor) -> float:
    """Through opacus' own GradSampleModule, the output's gradient all ones: the largest
    gap between the weight's per-sample gradients' sum and its gradient."""
    grad_sample_module = importlib.import_module("opacus").GradSampleModule
    wrapped = grad_sample_module(layer, loss_reduction="sum")
    wrapped(x).sum().backward()
    gap = (layer.weight.grad_sample.sum(0) - layer.weight.grad).abs().max().item()
    wrapped.remove_hooks()
    return gap


@pytest.mark.skipif(not installed("examples.impls.opacus_nn"), reason="opacus is not installed")
def test_opacus_findings_are_opacus_own_not_the_adapter_s():
    """Each of opacus' own entries, found again through opacus' user-facing wrapper (the
    gaps are the hand values of opacus_known_failures.py)."""
    row = torch.tensor([[[1.0, 2.0, 3.0]]])
    for mode, gap in (("reflect", 2.0), ("replicate", 3.0), ("circular", 3.0)):
        conv = torch.nn.Conv1d(1, 1, 2, padding=1, padding_mode=mode, bias=False)
        assert _opacus_gap(conv, row) == gap, mode
    assert _opacus_gap(torch.nn.Conv1d(1, 1, 2, padding=1, bias=False), row) == 0.0
    padded = torch.nn.Embedding(3, 2, padding_idx=1)
    assert _opacus_gap(padded, torch.tensor([[1, 2]])) == 1.0
    scaled = torch.nn.Embedding(3, 2, scale_grad_by_freq=True)
    assert _opacus_gap(scaled, torch.tensor([[1, 1, 2]])) == 1.0
    planes = torch.arange(8.0).reshape(1, 2, 2, 2).contiguous(memory_format=torch.channels_last)
    # (10, 12) for (6, 22)
    assert _opacus_gap(torch.nn.Conv2d(2, 1, 1, bias=False), planes) == 10.0
    with pytest.raises(AttributeError, match="requires_grad"):
        _opacus_gap(torch.nn.LayerNorm(3, bias=False), torch.tensor([[0.0, 1.0, 3.0]]))
    with pytest.raises(RuntimeError, match="einsum"):
        _opacus_gap(torch.nn.Linear(3, 2), torch.ones(3))
    # float16: sample 1's gradient 256 * 256 is past 65504 (the batch's, 256, is not).
    half = torch.nn.Linear(1, 1, bias=False).half()
    wrapped = importlib.import_module("opacus").GradSampleModule(half, loss_reduction="sum")
    y = wrapped(torch.tensor([[256.0], [256.0]], dtype=torch.float16))
    y.backward(torch.tensor([[256.0], [-255.0]], dtype=torch.float16))
    assert half.weight.grad.item() == 256.0 and half.weight.grad_sample[0].isinf().all()
    wrapped.remove_hooks()


def test_learner_nn_is_partial():
    learner = importlib.import_module("examples.impls.learner_nn")
    for name in ("Linear", "ReLU", "Sigmoid", "Flatten", "Sequential"):
        assert issubclass(getattr(learner, name), torch.nn.Module), name
    for name in ("Conv2d", "BatchNorm2d", "LayerNorm"):
        assert not hasattr(learner, name), f"{name} was meant to be left for later"
    assert hasattr(learner.init, "xavier_uniform_")
    assert not hasattr(learner.init, "kaiming_uniform_")


@pytest.mark.parametrize("impl", [pytest.param(i, marks=needs(i)) for i in EXAMPLES])
def test_entries_are_known_failures_of_suite_layers(impl):
    found = entries(impl)
    assert found, f"{EXAMPLES[impl]} has no ENTRIES"
    ids = [known.id for known in found]
    assert len(set(ids)) == len(ids), "two entries share an id"
    prefix = impl.rsplit(".", 1)[-1].removesuffix("_nn") + "-"
    for known in found:
        assert isinstance(known, KnownFailure), known
        assert known.id.startswith(prefix) and known.id not in BY_ID, known.id
        if known.layer != INIT:
            layer_named(known.layer)  # a layer the suite has a spec for
        assert known.summary and known.upstream, known.id


def skip_unless_observed_here(known: KnownFailure) -> None:
    """A repro runs where its entry was seen: this torch release, kernel set and CPU."""
    in_scope = known.in_release(torch.__version__) and (
        known.kernel_sets is None or kernel_sets.current() in known.kernel_sets
    )
    if not (in_scope and known.observed.covers(torch.__version__, None, "cpu")):
        pytest.skip(f"{known.id}: not observed here ({known.observed.describe()})")


def passes_in_a_child(impl: str, known: KnownFailure, torch_in_place: bool) -> bool:
    """Whether an isolated entry's repro (one that may crash the process) passes in a
    fresh interpreter, on the implementation or with torch.nn in its place."""
    package, _, name = impl.rpartition(".")
    swap = (
        f"import sys, importlib, torch; sys.modules[{impl!r}] = torch.nn; "
        f"setattr(importlib.import_module({package!r}), {name!r}, torch.nn); "
    )
    code = (swap if torch_in_place else "") + (
        "from tests.known_failures.register import entry_named; "
        f"entry_named({known.id!r}).run({known.paths[0]!r})"
    )
    known_file = importlib.import_module(EXAMPLES[impl]).__file__
    return run_python(code, {IMPL_KNOWN_VARIABLE: known_file}).returncode == 0


@pytest.mark.parametrize(("impl", "known"), all_entries())
def test_repro_still_fails_on_the_implementation(impl, known):
    skip_unless_observed_here(known)
    if known.isolate:
        assert not passes_in_a_child(impl, known, torch_in_place=False), known.id
        return
    with pytest.raises(AssertionError):
        known.run(known.paths[0])


@pytest.mark.parametrize(("impl", "known"), all_entries())
def test_repro_is_right_about_torch(impl, known, torch_in_place_of):
    skip_unless_observed_here(known)
    inherited = INHERITED.match(known.summary)
    if inherited is not None:
        assert inherited.group(1) in BY_ID, f"{known.id} names no torch entry"
    if known.isolate:
        assert passes_in_a_child(impl, known, torch_in_place=True) is (inherited is None)
        return
    torch_in_place_of(impl)
    if inherited is None:
        known.run(known.paths[0])  # torch.nn does what the repro asks
        return
    with pytest.raises(AssertionError):
        known.run(known.paths[0])


@pytest.mark.parametrize(("impl", "repro"), container_findings())
def test_container_finding_still_fails_and_torch_passes(impl, repro, torch_in_place_of):
    with pytest.raises(AssertionError):
        repro()
    torch_in_place_of(impl)
    repro()
