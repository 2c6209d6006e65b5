"""Where CUDA's fused Adam/AdamW is recorded as rounding its betas to float32
(adam-cuda-fused-rounds-betas), the law steps with float32 betas; everywhere else, and
under --ignore-known-failures, with the betas as drawn."""

import numpy as np
import pytest

from spec.registry import optimizer_named
from tests import optimizer_carve_outs
from tests.known_failures import register
from tests.optimizer_carve_outs import law_hyperparameters
from tests.optimizer_checks import Run

HP = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}


@pytest.fixture(autouse=True)
def outside_hypothesis(monkeypatch):
    # law_hyperparameters notes the carve-out in the running Hypothesis example.
    monkeypatch.setattr(optimizer_carve_outs, "note", lambda text: None)


def run(name: str, device: str, dtype: str = "float32", fused: bool = True) -> Run:
    kwargs = {**HP, "fused": True} if fused else {**HP, "foreach": False}
    return Run(optimizer_named(name), dict(HP), kwargs, "fused", None, dtype, device, "torch.nn")


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_the_recorded_path_steps_with_float32_betas(name):
    betas = law_hyperparameters(run(name, "cuda"))["betas"]
    assert betas == (float(np.float32(0.9)), float(np.float32(0.999)))
    assert betas != HP["betas"]


@pytest.mark.parametrize(
    "where",
    [
        {"device": "cpu"},  # the CPU's fused kernel forms 1 - beta in full precision
        {"device": "cuda", "dtype": "float64"},  # float64 parameters compute in float64
        {"device": "cuda", "fused": False},  # the for-loop path
    ],
)
def test_every_other_path_steps_with_the_drawn_betas(where):
    assert law_hyperparameters(run("Adam", **where))["betas"] == HP["betas"]


def test_ignoring_known_failures_judges_the_drawn_betas(monkeypatch):
    monkeypatch.setattr(register.HONOURED, "honoured", False)
    assert law_hyperparameters(run("Adam", "cuda"))["betas"] == HP["betas"]
