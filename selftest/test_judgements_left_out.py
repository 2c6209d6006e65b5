"""Compile once, judge many: a later judgement is left out for what left the first case
out. draw_case carves a case out for the values (every judgement compares the output);
judged_cases once skipped a later judgement only for the property's own check, so on
a compiled path the gradients property judged the values of a LayerNorm row that
`layer_norm-inductor-float16-tiny-eps-backward` covers (a value entry), and failed on
its NaN: a false alarm, at `compile`, seed 1."""

from __future__ import annotations

import torch
from hypothesis import given, settings, strategies as st

from spec.registry import layer_named
from tests import cases
from tests.known_failures import Check
from tests.paths import by_name
from tests.paths.routing import active


def _judgements_left(
    check: Check, covered_for: Check, monkeypatch, drawn_for: Check = Check.VALUES
) -> list[int]:
    """How many judgements judged_cases(check) keeps when an entry of `covered_for`
    covers every judgement but the first, of a case draw_case left out for `drawn_for`."""
    path = by_name("compile:aot_eager")
    kept: list[int] = []

    @settings(max_examples=3, database=None, deadline=None)
    @given(st.data())
    def judge(data: st.DataObject) -> None:
        with active(path):
            linear = layer_named("Linear")
            case = cases.draw_case(data, linear, "float32", "cpu", torch.nn, check=drawn_for)
            first = case.x

            def known(asked: Check, where) -> object:
                return "an entry" if asked is covered_for and where.x is not first else None

            monkeypatch.setattr(cases, "known_failure", known)
            kept.append(len(list(cases.judged_cases(data, case, check))))
            monkeypatch.undo()

    judge()
    assert path.judgements > 1
    return kept


def test_a_gradients_judgement_a_values_entry_covers_is_left_out(monkeypatch):
    assert _judgements_left(Check.GRADIENTS, Check.VALUES, monkeypatch) == [1, 1, 1]


def test_a_judgement_the_property_s_own_entry_covers_is_left_out(monkeypatch):
    assert _judgements_left(Check.GRADIENTS, Check.GRADIENTS, monkeypatch) == [1, 1, 1]


def test_an_entry_of_another_check_leaves_the_judgements_judged(monkeypatch):
    judgements = by_name("compile:aot_eager").judgements
    kept = _judgements_left(Check.GRADIENTS, Check.EXACT, monkeypatch)
    assert kept == [judgements] * 3


def test_a_judgement_is_left_out_for_what_draw_case_left_the_case_out_for(monkeypatch):
    """One home for that check: the case carries it, judged_cases does not assume VALUES."""
    kept = _judgements_left(Check.GRADIENTS, Check.EXACT, monkeypatch, drawn_for=Check.EXACT)
    assert kept == [1, 1, 1]
