"""On compile:inductor-dynamic, a module's third call is compiled again after
torch.compiler.reset(), so inductor loads its graph from the caches the first call filled,
as a user's second process would: once per module, the other calls reuse the graph."""

import torch

from tests.paths import compile as compile_paths


def test_the_third_call_alone_follows_a_reset(monkeypatch):
    resets: list[int] = []
    call = compile_paths.CompiledCall("compile:eager", "eager", torch.nn.Linear, dynamic=True)
    monkeypatch.setattr(torch.compiler, "reset", lambda: resets.append(call.calls))
    module = torch.nn.Linear(3, 2)
    for rows in (1, 2, 3, 4, 5):
        call(module, torch.ones(rows, 3))
    assert resets == [compile_paths.RELOAD_CALL] == [2]


def test_static_shapes_never_reset(monkeypatch):
    resets: list[int] = []
    monkeypatch.setattr(torch.compiler, "reset", lambda: resets.append(1))
    call = compile_paths.CompiledCall("compile:eager", "eager", torch.nn.Linear, dynamic=False)
    module = torch.nn.Linear(3, 2)
    for _ in range(4):
        call(module, torch.ones(2, 3))
    assert resets == []
