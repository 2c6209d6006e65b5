"""The exact cases are sound: every one states why, and its inputs give references that are
exactly values of each dtype (so a bit-for-bit comparison with torch is fair)."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from spec.arguments import is_index
from spec.dtypes import DTYPES
from spec.exact import ExactCase, Sweep, Symmetry, integer_values, representable, round_to
from spec.registry import LAYERS

# Not `layer`/`dtype`: conftest parametrizes those names over the whole matrix.
CASES = [
    pytest.param(spec, claim, id=f"{spec.name}-{claim.name}")
    for spec in LAYERS
    for claim in spec.exact
]
EXACT_CASES = [case for case in CASES if isinstance(case.values[1], ExactCase)]
SWEEPS = [case for case in CASES if isinstance(case.values[1], Sweep)]
# Configurations a sweep selftest draws: enough that every class shows up.
SWEEP_SAMPLE = 2000


def test_every_layer_declares_an_exact_case():
    assert all(spec.exact for spec in LAYERS), [s.name for s in LAYERS if not s.exact]


@pytest.mark.parametrize(("spec", "claim"), CASES)
def test_each_case_says_why(spec, claim):
    assert isinstance(claim, ExactCase | Symmetry | Sweep)
    assert len(claim.why.split()) >= 8, f"{spec.name} {claim.name}: the reason is too short"


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize(("spec", "claim"), EXACT_CASES)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_exact_references_are_values_of_the_dtype(spec, claim, dtype_name, data):
    hp = data.draw(claim.hyperparams(spec) if claim.hyperparams else spec.hyperparams())
    drawn = data.draw(claim.inputs(spec, hp, dtype_name))
    # As the property does: values rounded to the dtype torch receives; a keep mask for
    # a stochastic layer in training (torch's own, there).
    mask = data.draw(st.integers(0, 2**32 - 1).map(np.random.default_rng))
    inputs = drawn.replace(
        x=rounded(drawn.x, dtype_name),
        params={k: round_to(v, dtype_name) for k, v in drawn.params.items()},
        buffers={k: rounded(v, dtype_name) for k, v in drawn.buffers.items()},
        grad_y=round_to(drawn.g, dtype_name),
        randomness=mask.random(drawn.x.shape) < 0.5 if drawn.training else None,
        arguments=tuple(rounded(a, dtype_name) for a in drawn.arguments),
    )
    y, buffers = spec.forward(inputs)
    grads = spec.vjp(inputs)
    exact = set(claim.exact)
    if "output" in exact:
        assert representable(y, dtype_name), f"output {y} is not exact in {dtype_name}"
    for name, value in grads.items():
        if name in exact or ("parameters" in exact and name in inputs.params):
            assert representable(value, dtype_name), f"{name} gradient inexact in {dtype_name}"
    if "buffers" in exact:
        for name, value in buffers.items():
            assert value.dtype.kind == "i" or representable(value, dtype_name), name
    if "written" in exact:
        for name, (value, _) in spec.forward_writes(inputs).items():
            assert representable(value, dtype_name), f"{name} after the call inexact"


def rounded(values: np.ndarray, dtype_name: str) -> np.ndarray:
    """Values as torch receives them in the dtype; indices as they are."""
    return values if is_index(values) else round_to(values, dtype_name)


@pytest.mark.parametrize(("spec", "claim"), EXACT_CASES)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_case_that_fixes_train_mode_says_so(spec, claim, data):
    # Paths that run eval alone (inference runtimes) leave such cases out by
    # ExactCase.training, before drawing: a case drawn in a mode it does not declare
    # would be judged in a mode it is not exact in.
    hp = data.draw(claim.hyperparams(spec) if claim.hyperparams else spec.hyperparams())
    drawn = data.draw(claim.inputs(spec, hp, "float32"))
    if claim.training is not None:
        assert drawn.training == claim.training


def test_the_exact_property_judges_the_inference_paths():
    # Before, it needed autograd and ran on no inference path: the OpenVINO float16
    # LayerNorm eps bug, which its "constant rows, tiny eps" case holds, was never met.
    import tests.test_exact as exact
    from tests.paths import by_name

    for name in ("onnxruntime", "compile:openvino"):
        path = by_name(name)
        assert not path.lacks_needs(exact), name
        layer_norm = next(s for s in LAYERS if s.name == "LayerNorm")
        judged = [c.name for c in exact.runnable_claims(layer_norm.exact, path)]
        assert "constant rows, tiny eps" in judged
        batch_norm = next(s for s in LAYERS if s.name == "BatchNorm2d")
        left = exact.runnable_claims(batch_norm.exact, path)
        assert all(c.training is not True for c in left)


@pytest.mark.parametrize(("spec", "claim"), SWEEPS)
def test_a_sweep_meets_every_class_of_its_layer(spec, claim):
    # A sweep that never drew a class (a padding mode, an output one column wide) would
    # leave the kernels of that class to the one configuration an example draws.
    rng = np.random.default_rng(0)
    met: dict[str, set] = {}
    for _ in range(SWEEP_SAMPLE):
        hp, shape = claim.configuration(rng)
        for dim, value in spec.classify(hp, shape).items():
            met.setdefault(dim, set()).add(value)
    declared = {**spec.classes, **spec.input_classes}
    unmet = {dim: set(values) - met.get(dim, set()) for dim, values in declared.items()}
    assert not any(unmet.values()), unmet


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize(("spec", "claim"), SWEEPS)
def test_a_sweep_configuration_is_valid_and_exact(spec, claim, dtype_name):
    # torch accepts each configuration with the reference's output shape (the sweep
    # draws inside the domain, not into the errors property's), and its references are
    # values of the dtype, so comparing bit for bit is fair.
    rng = np.random.default_rng(1)
    for _ in range(100):
        hp, shape = claim.configuration(rng)
        module = getattr(torch.nn, spec.name)(**hp).double()
        with torch.no_grad():
            got = tuple(module(torch.zeros(shape, dtype=torch.float64)).shape)
        assert got == tuple(spec.out_shape(hp, shape)), (hp, shape)
        inputs = integer_values(spec, hp, shape, dtype_name, rng)
        assert representable(spec.forward(inputs)[0], dtype_name), (hp, shape)
        for name, value in spec.vjp(inputs).items():
            assert representable(value, dtype_name), (name, hp, shape)


def test_a_sweep_judges_what_an_entry_of_named_quantities_leaves(monkeypatch):
    # An entry that names the quantities it breaks (a weight gradient never written)
    # leaves only those unjudged: the call still runs, so a crash of the same call stays
    # found. Leaving such configurations out whole hid a recorded bfloat16 segfault.
    import tests.test_exact as exact
    from tests.known_failures import Check, KnownFailure, Observed

    def made_up(breaks: Check, quantities: tuple[str, ...]) -> KnownFailure:
        return KnownFailure(
            id="made-up",
            layer="Conv2d",
            breaks=breaks,
            summary="a made-up bug",
            upstream="none",
            repro=lambda: None,
            observed=Observed("2.1.2"),
            quantities=quantities,
        )

    weight = made_up(Check.GRADIENTS, ("weight",))
    crash = made_up(Check.SURVIVES, ())
    monkeypatch.setattr(exact, "covering", lambda check, where: [weight] * (check in weight.checks))
    assert exact.sweep_leaves_unjudged(None) == {"weight"}
    monkeypatch.setattr(
        exact, "covering", lambda check, where: [k for k in (weight, crash) if check in k.checks]
    )
    assert exact.sweep_leaves_unjudged(None) is None
