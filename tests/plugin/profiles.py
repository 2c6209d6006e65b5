"""Hypothesis profiles, the run's seed, and the example database shared between machines."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.plugin.options import OptionError

# Example counts are per test (one test = one cell of the matrix).
# `compile` is for the paths that compile or export each example (seconds apiece);
# `smoke` is CI's look at every layer on those paths: one example, no corner pass;
# `corners` one random example and the corner pass: the cheapest run in which every pair
# of classes meets (selftest/test_coverage.py proves that from such a run).
PROFILE_EXAMPLES = {"dev": 10, "ci": 30, "thorough": 300, "compile": 3, "smoke": 1, "corners": 1}
# Every profile derives from Hypothesis' "default" profile, never from the one in effect:
# where a CI variable is set (CI, GITHUB_ACTIONS, ...), Hypothesis makes its own "ci"
# profile the default, and it derandomizes: each test then draws from its own source
# text, the run's seed is ignored, and the printed replay line replays nothing on a
# machine without that variable. The environment must not choose the examples.
_PARENT = settings.get_profile("default")
_COMMON = {
    "parent": _PARENT,
    "derandomize": False,
    # No deadlines: timing varies with load and must never fail a run.
    "deadline": None,
    "print_blob": True,
    # No explain phase: it line-traces every shrink step to say which part of an example
    # matters, multiplying the time a failing run takes to report; the shrunk example
    # and the repro already say it.
    "phases": [p for p in Phase if p is not Phase.explain],
    # Our strategies draw small shapes but the examples are whole tensors; size and
    # filtering are bounded by construction, so these health checks only add noise.
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}
for _name in ("dev", "corners"):
    settings.register_profile(_name, max_examples=PROFILE_EXAMPLES[_name], **_COMMON)
# CI runs are reproduced from the printed seed, not from a local example database.
for _name in ("ci", "thorough"):
    settings.register_profile(_name, max_examples=PROFILE_EXAMPLES[_name], database=None, **_COMMON)
# On the compiling paths every shrink step compiles anew (seconds): the shrink budget
# (tests/shrink_budget.py, --shrink-budget) stops a failure's shrinking after a minute,
# and one failure is reported, not every distinct one met while shrinking (a crash inside
# inductor raises from many places: Conv2d's replicate-padding backward gave 33, each
# replayed and compiled again before the report).
for _name in ("compile", "smoke"):
    settings.register_profile(
        _name,
        max_examples=PROFILE_EXAMPLES[_name],
        database=None,
        report_multiple_bugs=False,
        **_COMMON,
    )


def profile_name(config: pytest.Config) -> str:
    """The run's profile: the option's, else ci where a CI variable is set, else dev."""
    chosen = config.getoption("hypothesis_profile", default=None)
    if chosen is None:
        chosen = "ci" if os.environ.get("CI") else "dev"
        config.option.hypothesis_profile = chosen
    if chosen not in PROFILE_EXAMPLES:
        raise OptionError(
            f"unknown Hypothesis profile {chosen!r}; choose one of {', '.join(PROFILE_EXAMPLES)}"
        )
    _RUN_PROFILE[0] = chosen
    return chosen


# The profile this process's run chose (Hypothesis' settings inside a test are the test's
# own: a corner runs one example whatever the profile).
_RUN_PROFILE = ["dev"]


def run_examples() -> int:
    """The example budget of the run's profile, as a property sizes its own work by it."""
    return PROFILE_EXAMPLES[_RUN_PROFILE[0]]


def example_db(config: pytest.Config) -> str | None:
    """The shared example database's folder, or None; it and a seed refuse each other."""
    path = config.getoption("nnconform_example_db")
    if path and config.getoption("hypothesis_seed", default=None) is not None:
        # Hypothesis neither reads nor writes a database under a fixed seed: a seeded run
        # would silently never replay another machine's failure.
        raise OptionError(
            "--example-db and --hypothesis-seed exclude each other: Hypothesis uses no "
            "example database under a fixed seed"
        )
    return path


def use_example_db(profile: str, path: str) -> None:
    # Hypothesis' own folder database: content-addressed files written by rename, so
    # several machines may share one folder (docs/runs-across-machines.md).
    database = DirectoryBasedExampleDatabase(path)
    settings.register_profile(profile, settings.get_profile(profile), database=database)


def run_seed(config: pytest.Config) -> int:
    """One seed for the whole run, shared with xdist workers, printed so a run replays."""
    given = config.getoption("hypothesis_seed", default=None)
    if given is None and hasattr(config, "workerinput"):
        given = config.workerinput["nnconform_seed"]
    if given is None:
        given = random.SystemRandom().randrange(2**32)
    try:
        seed = int(given)
    except ValueError:
        raise OptionError(f"--hypothesis-seed must be an integer, not {given!r}") from None
    config.option.hypothesis_seed = seed
    return seed


class ShareSeedWithWorkers:
    """xdist: every worker draws from the controller's seed."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed

    def pytest_configure_node(self, node: object) -> None:
        node.workerinput["nnconform_seed"] = self.seed  # type: ignore[attr-defined]
