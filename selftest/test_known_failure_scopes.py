"""A known failure turns a run red only where it was observed (issue 18).

Judged on made-up entries, so nothing depends on the CPU, release or torch bug at hand: a
repro that passes is "fixed: remove the entry" where the bug was observed, and
"not-reproduced" (never red) in the rest of its scope; --ignore-known-failures and other
implementations judge every case.
"""

from __future__ import annotations

import ast
import dataclasses
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, errors as hypothesis_errors, given, settings, strategies as st
from packaging.specifiers import SpecifierSet

from report.interface import ExpectedFailure, KnownFailureFixedError, NotRun
from spec.registry import LAYERS, layer_named
from tests import kernel_sets
from tests.known_failures import (
    BY_ID,
    KNOWN_FAILURES,
    Check,
    KnownFailure,
    Observed,
    Where,
    register,
)
from tests.known_failures.entry import FIRST_CUDA_RUN
from tests.known_failures.judge import judge

EVERY_SET = tuple(kernel_sets.KERNEL_SETS)


def _passes() -> None:
    pass


def _fails() -> None:
    raise AssertionError("still wrong")


def _entry(repro, observed: Observed, **scope) -> KnownFailure:
    return KnownFailure(
        id="made-up",
        layer="Linear",
        breaks=Check.VALUES,
        summary="a made-up bug",
        upstream="none",
        repro=repro,
        observed=observed,
        **scope,
    )


def _judged(entry: KnownFailure, release: str = "2.13.0") -> BaseException:
    with pytest.raises((NotRun, ExpectedFailure, KnownFailureFixedError)) as raised:
        judge(entry, "eager", ["eager"], release=release)
    return raised.value


def test_a_bug_still_there_is_an_expected_failure():
    assert isinstance(_judged(_entry(_fails, Observed("2.1.2", EVERY_SET))), ExpectedFailure)


def test_a_fix_where_the_bug_was_observed_fails_the_run():
    judged = _judged(_entry(_passes, Observed("2.1.2", EVERY_SET)))
    assert isinstance(judged, KnownFailureFixedError), judged


def test_a_pass_in_a_kernel_set_nobody_observed_is_not_reproduced():
    judged = _judged(_entry(_passes, Observed("2.1.2", kernel_sets=())))
    assert isinstance(judged, NotRun) and judged.outcome == "not-reproduced", judged
    assert judged.failure is not None and "recorded for" in judged.failure.message


def test_a_pass_on_a_release_older_than_observed_is_not_reproduced():
    judged = _judged(_entry(_passes, Observed("2.6.0", EVERY_SET)), release="2.1.2")
    assert isinstance(judged, NotRun) and judged.outcome == "not-reproduced", judged


def test_a_release_out_of_scope_is_not_applicable():
    entry = _entry(_passes, Observed("2.2.2", EVERY_SET), releases=">=2.2")
    judged = _judged(entry, release="2.1.2")
    assert isinstance(judged, NotRun) and judged.outcome == "not-applicable", judged


def test_the_amx_conv2d_entry_does_not_apply_to_2_1_2():
    """Issue 18: on an AMX CPU, 2.1.2's run ended NOT CONFORMING on this entry."""
    amx = BY_ID["conv2d-bfloat16-amx-strided-single-column"]
    assert not amx.in_release("2.1.2") and amx.in_release("2.2.2") and amx.in_release("2.13.0")
    judged = _judged(amx, release="2.1.2")
    assert isinstance(judged, NotRun) and judged.outcome == "not-applicable", judged


@pytest.fixture
def ignored():
    register.honour(False, "known failures ignored (--ignore-known-failures)")
    try:
        yield
    finally:
        register.honour(True)


def test_ignored_known_failures_judge_nothing(ignored):
    judged = _judged(_entry(_fails, Observed("2.1.2", EVERY_SET)))
    assert isinstance(judged, NotRun) and judged.outcome == "not-applicable", judged
    # No carve-out: a case every entry would cover is judged.
    where = Where("LayerNorm", "float32", "cpu", {"normalized_shape": 1}, x=np.ones((2, 1)))
    for check in Check:
        register.carve_out(check, where)  # rejects (raises) if anything carved it out


def test_a_carve_out_rejects_the_case_when_honoured():
    entry = BY_ID["layer_norm-onnx-epsilon-float32"]
    where = Where("LayerNorm", "float64", "cpu", {"eps": 0.1}, path="onnxruntime")
    assert entry.applies(where)
    judged = []

    @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
    @given(st.none())
    def once(_):
        register.carve_out(Check.VALUES, where)
        judged.append(where)

    with pytest.raises((hypothesis_errors.Unsatisfiable, hypothesis_errors.FailedHealthCheck)):
        once()
    assert not judged


def test_an_entry_of_some_quantities_leaves_the_others_judged():
    """carve_out_quantities: a case that an entry naming quantities covers stays drawn
    (its other quantities are judged); one naming none still leaves the case out."""
    where = Where("Linear", "float32", "cpu", {})
    output_only = dataclasses.replace(_entry(_fails, Observed("2.1.2")), quantities=("output",))
    whole = dataclasses.replace(output_only, id="made-up-whole", quantities=())
    unjudged = []

    @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
    @given(st.none())
    def once(_):
        unjudged.append(register.carve_out_quantities(Check.VALUES, where))

    try:
        register.honour(True, entries=(output_only,))
        once()
        assert unjudged == [{"output"}]
        register.honour(True, entries=(output_only, whole))
        with pytest.raises((hypothesis_errors.Unsatisfiable, hypothesis_errors.FailedHealthCheck)):
            once()
        assert unjudged == [{"output"}]
    finally:
        register.honour(True)


def test_a_recorded_crash_is_left_out_whatever_the_check():
    """A case a crash entry covers ends the process under any property that calls the
    layer (the shape property crashed on a padding-only Conv2d once): every carve-out
    leaves it out, whichever check the property asks about."""
    where = Where("Linear", "float32", "cpu", {})
    crash = dataclasses.replace(_entry(_fails, Observed("2.1.2")), breaks=Check.SURVIVES)
    judged = []

    @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from([c for c in Check if c is not Check.SURVIVES]))
    def once(check):
        register.carve_out(check, where)
        register.carve_out_quantities(check, where)
        judged.append(check)

    try:
        register.honour(True, entries=(crash,))
        with pytest.raises((hypothesis_errors.Unsatisfiable, hypothesis_errors.FailedHealthCheck)):
            once()
    finally:
        register.honour(True)
    assert not judged


@pytest.mark.parametrize("known", [k for k in KNOWN_FAILURES if k.quantities], ids=lambda k: k.id)
def test_quantities_name_what_the_checks_compare(known):
    """An entry's quantities are names tests/checks.py compares (the output, the input's
    gradient, a parameter's or an argument's, the buffers), read where one case is
    compared in several (the exact cases for values, every backward for gradients): the
    entry must break one of those checks."""
    spec = layer_named(known.layer)
    names = {"output", "input", "buffers", "weight", "bias", *spec.argument_names}
    assert set(known.quantities) <= names, set(known.quantities) - names
    assert known.checks & {Check.VALUES, Check.EXACT, Check.GRADIENTS}, known.checks


@pytest.mark.parametrize("known", KNOWN_FAILURES, ids=lambda k: k.id)
def test_observed_lies_inside_the_scope(known):
    observed = known.observed
    if known.releases:
        assert observed.since in SpecifierSet(known.releases), (observed.since, known.releases)
    if known.kernel_sets is not None:
        assert set(observed.kernel_sets) <= set(known.kernel_sets), observed.kernel_sets
    assert set(observed.kernel_sets) <= set(kernel_sets.KERNEL_SETS)


@pytest.mark.parametrize("known", KNOWN_FAILURES, ids=lambda k: k.id)
def test_every_printed_repro_is_python_that_needs_torch_alone(known):
    for path in known.paths:
        tree = ast.parse(known.source(path))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        # The runtimes a path's plain-torch runner imports (onnxruntime, openvino), and
        # the standard library (contextlib; ctypes, to turn on glibc's malloc perturbation).
        third_party = imported - set(sys.stdlib_module_names)
        assert third_party <= {"torch", "onnxruntime", "openvino"}, imported


def test_the_known_failures_page_is_the_register():
    from pathlib import Path

    from tests.known_failures.__main__ import page

    written = (Path(__file__).resolve().parents[1] / "docs/known-failures.md").read_text()
    assert written == page(), "regenerate: python -m tests.known_failures > docs/known-failures.md"


def test_an_implementation_keeps_torch_s_entries_on_the_layers_it_leaves_to_torch():
    """Under --impl, torch's entries judge nothing of the implementation's own classes, yet
    a layer it answers with torch.nn's own class is torch's, bugs and all: there they carve
    (a brevitas run failed 27 cells of torch's own BatchNorm, LayerNorm and MaxPool)."""
    entry = BY_ID["layer_norm-onnx-epsilon-float32"]
    where = Where("LayerNorm", "float64", "cpu", {"eps": 0.1}, path="onnxruntime")
    elsewhere = dataclasses.replace(where, layer="Linear")
    try:
        register.honour(False, "another implementation", torch_layers=frozenset({"LayerNorm"}))
        assert entry in register.covering(Check.VALUES, where)
        assert entry not in register.covering(Check.VALUES, dataclasses.replace(where, layer="X"))
        register.honour(False, "another implementation", torch_layers=frozenset({"Linear"}))
        assert register.covering(Check.VALUES, where) == []
        assert register.covering(Check.VALUES, elsewhere) == []
    finally:
        register.honour(True)


def test_the_layers_left_to_torch_are_read_off_the_implementation():
    from examples.impls import learner_nn
    from tests.plugin.run import _torch_layers

    left = _torch_layers(learner_nn)
    # learner_nn writes its own Linear and ReLU; everything it lacks is not torch's either.
    assert "Linear" not in left and "ReLU" not in left and "Conv2d" not in left
    assert _torch_layers(torch.nn) == frozenset(spec.name for spec in LAYERS)


def test_a_bug_seen_only_on_cpus_with_a_feature_is_not_observed_without_it(monkeypatch):
    """A kernel set admits the best instructions a CPU has: oneDNN's avx512_core_bf16
    BRGEMM kernels run at `avx512` only where the CPU has avx512_bf16. On an AVX-512 CPU
    without it, a passing repro is "not reproduced", never "fixed" (never a red run)."""
    seen = Observed("2.13.0", kernel_sets=("avx512",), cpu_flags=("avx512_bf16",))
    monkeypatch.setattr(kernel_sets, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert seen.covers("2.13.0", "avx512", "cpu")
    monkeypatch.setattr(kernel_sets, "cpu_flags", lambda: frozenset({"avx512f"}))
    assert not seen.covers("2.13.0", "avx512", "cpu")
    assert "avx512_bf16" in seen.describe()


def test_observe_tells_a_claim_the_repro_contradicts_from_a_sighting_outside_it():
    # tests/known_failures/observe.py measures scopes: a claimed set where the repro
    # passes would turn that set's run red; a sighting outside the claim may widen it.
    from tests.known_failures.observe import Sighting

    entry = _entry(_fails, Observed(since="2.0", kernel_sets=("default",)))
    verdicts = {
        (kernel_set, seen): Sighting(entry, kernel_set, "eager", seen, "").verdict
        for kernel_set in ("default", "avx2")
        for seen in (True, False, None)
    }
    assert verdicts == {
        ("default", True): "claimed, seen",
        ("default", False): "CLAIMED, NOT SEEN",
        ("default", None): "could not run",
        ("avx2", True): "seen, not claimed",
        ("avx2", False): "not claimed, not seen",
        ("avx2", None): "could not run",
    }
    # An entry scoped to a set it was not observed in claims nothing there.
    scoped = dataclasses.replace(entry, kernel_sets=("avx2",))
    assert Sighting(scoped, "default", "eager", False, "").verdict == "not claimed, not seen"


def test_a_run_of_other_dtypes_does_not_run_the_repro():
    # CI's float32 smoke of the compiling paths meets no float16 case: the repro (an
    # inductor compile, seconds) is not run, and the cell says why.
    entry = _entry(_fails, Observed(since="2.0"), dtypes=("float16",))
    with pytest.raises(NotRun) as raised:
        judge(entry, "eager", ["eager"], dtypes=["float32"])
    assert raised.value.outcome == "not-applicable" and "float16" in str(raised.value)
    assert isinstance(_judged(entry), ExpectedFailure)


def test_an_entry_seen_on_cuda_alone_is_judged_on_cuda_alone(monkeypatch):
    # Its repro runs on CUDA: without a GPU the cell is "not present", never a red run,
    # and a run that does not ask for CUDA does not run it.
    entry = _entry(_fails, FIRST_CUDA_RUN, devices=("cuda",))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(NotRun) as raised:
        judge(entry, "eager", ["eager"], devices=["cpu", "cuda"])
    assert raised.value.outcome == "not-present", raised.value
    with pytest.raises(NotRun) as raised:
        judge(entry, "eager", ["eager"], devices=["cpu"])
    assert raised.value.outcome == "not-applicable", raised.value


def test_a_cpu_kernel_set_decides_nothing_about_an_accelerator():
    # Observed on CUDA: whatever kernel set the host CPU runs, the claim stands there.
    for kernel_set in EVERY_SET:
        assert FIRST_CUDA_RUN.covers("2.13.0", kernel_set, "cuda")
        assert not FIRST_CUDA_RUN.covers("2.13.0", kernel_set, "cpu")
    assert not FIRST_CUDA_RUN.covers("2.10.0", "avx2", "cuda")


def test_a_crash_that_misses_in_some_processes_is_not_called_fixed(monkeypatch):
    """A heap overrun crashes by the process's heap layout: the AVX2 1x1 repro ran clean in
    4 of 23 fresh processes on one CPU. A crash repro is called passing only after it
    ran clean CLEAN_RUNS_TO_CALL_A_CRASH_FIXED times in a row, in the run and in observe."""
    from tests.known_failures import judge as judging

    outcomes = iter([None] * (judging.CLEAN_RUNS_TO_CALL_A_CRASH_FIXED - 1) + ["signal 11"])
    monkeypatch.setattr(judging, "reproduce_in_child", lambda *args: next(outcomes))
    crash = dataclasses.replace(
        _entry(_passes, Observed("2.1.2", EVERY_SET)), breaks=Check.SURVIVES, isolate=True
    )
    assert judging.reproduce(crash, None, "eager") == "signal 11"
    always_clean = iter([None] * judging.CLEAN_RUNS_TO_CALL_A_CRASH_FIXED)
    monkeypatch.setattr(judging, "reproduce_in_child", lambda *args: next(always_clean))
    assert judging.reproduce(crash, None, "eager") is None


def test_a_crash_repro_that_hangs_has_shown_the_bug(monkeypatch):
    """A corrupted heap can leave a lock taken: the repro's process never ends (one of 36
    fresh processes of the bfloat16 1x1 repro). For a crash entry that is the bug, seen;
    for any other it is a repro that cannot run."""
    import subprocess

    from tests.known_failures import judge as judging

    def hangs(code, environment, timeout_s):
        raise subprocess.TimeoutExpired(["python"], timeout_s)

    monkeypatch.setattr(judging, "run_python", hangs)
    values = dataclasses.replace(_entry(_passes, Observed("2.1.2", EVERY_SET)), isolate=True)
    crash = dataclasses.replace(values, breaks=Check.SURVIVES)
    seen = judging.reproduce_in_child(crash, None, "eager")
    assert seen == f"the process hung for {judging.CRASH_REPRO_TIMEOUT_S} s"
    with pytest.raises(Exception, match="the repro hung"):
        judging.reproduce_in_child(values, None, "eager")
