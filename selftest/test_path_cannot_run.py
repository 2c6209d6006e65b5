"""An example the execution path cannot run is left out; the cell judges the others.

Found by the rediscovery bench on onnxruntime: an unbatched CrossEntropyLoss exports to a
Reshape that onnxruntime refuses to load, and that first refused example ended the whole
cell "unsupported", so the recorded label-smoothing bug of the same path was never
judged (0 of 5 seeds). The path now raises PathCannotRun; the property run leaves the
example out, counts the reason, and draws another (tests/plugin/property_run.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from report.interface import NotRun
from selftest import zoo_runner
from tests import left_out
from tests.paths import PathCannotRun, cannot_run
from tests.plugin.property_run import _wrap_the_body

REFUSED = "the runtime refuses odd numbers"


def test_an_example_the_path_cannot_run_is_left_out_and_the_rest_judged():
    judged = []

    @settings(max_examples=20, database=None)
    @given(st.integers(0, 9))
    def prop(n: int) -> None:
        if n % 2:
            raise PathCannotRun(REFUSED)
        judged.append(n)

    _wrap_the_body(prop)
    _wrap_the_body(prop)  # wrapped once, however often asked
    item = SimpleNamespace(stash=pytest.Stash())
    with left_out.tracking(item) as tally:
        prop()
    assert judged and all(n % 2 == 0 for n in judged)
    assert tally.unsupported[REFUSED] >= 1


def test_outside_an_example_the_path_ends_the_call_unsupported():
    # A known failure's repro runs the path outside Hypothesis: nothing to draw instead.
    with pytest.raises(NotRun) as raised:
        cannot_run(REFUSED)
    assert raised.value.outcome == "unsupported"


def test_the_zoo_leaves_out_what_the_path_cannot_run_as_a_run_does():
    # A mutant on onnxruntime must be killed by a judged example, never by a refused one.
    judged = []

    @given(data=st.data())
    def prop(data) -> None:
        n = data.draw(st.integers(0, 9))
        if n % 2:
            raise PathCannotRun(REFUSED)
        judged.append(n)

    zoo_runner._deterministic(prop, examples=10)()
    assert judged and all(n % 2 == 0 for n in judged)


def test_an_openvino_fallback_leaves_the_configuration_out(monkeypatch):
    # The openvino backend falls back to torch without a word; that configuration is left
    # out like onnxruntime's refusals. Before, the first fallback ended the whole cell
    # "unsupported", and a Conv2d cell never judged the draws after it.
    from tests.paths.compile import CompiledCall
    from tests.paths.openvino import OpenVinoCall

    # No compiling: the call hands the module back, as if OpenVINO had run it.
    monkeypatch.setattr(CompiledCall, "__init__", lambda self, path, *args, **kw: None)
    monkeypatch.setattr(CompiledCall, "__call__", lambda self, module, *args: module)
    call = OpenVinoCall("compile:openvino", object)
    call.path = "compile:openvino"
    call.fallbacks.append("the backend handed the graph to inductor (no message)")
    refused, ended = [], []

    @settings(max_examples=1, database=None)
    @given(st.just(None))
    def prop(_) -> None:
        try:
            call("module")
        except PathCannotRun as cannot:
            refused.append(cannot.reason)
        except NotRun as whole_cell:
            ended.append(whole_cell.outcome)

    prop()
    assert not ended, f"the fallback ended the whole cell {ended[0]!r}"
    assert refused and "handed the graph to inductor" in refused[0]
