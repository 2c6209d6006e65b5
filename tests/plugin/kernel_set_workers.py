"""One worker process per CPU kernel set: its variables must be set before torch loads."""

from __future__ import annotations

import os
import sys

import pytest

from tests import kernel_sets
from tests.plugin.options import OptionError, chosen_kernel_sets


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Start one worker process per CPU kernel set (pytest-xdist, each with its variables)."""
    if hasattr(config, "workerinput"):
        return
    names = chosen_kernel_sets(config)
    if names == [kernel_sets.started_in()] and not os.environ.get(kernel_sets.SET_VARIABLE):
        return  # the set this process is in already: no variable to set
    environments = [kernel_sets.KERNEL_SETS[name].environment() for name in names]
    workers = config.getoption("numprocesses", default=None)
    if len(names) == 1 and not workers:
        if "torch" in sys.modules:
            raise OptionError("--cpu-isa: torch was imported before the kernel set could be set")
        os.environ.update(environments[0])
        return
    if not config.pluginmanager.hasplugin("xdist"):
        raise OptionError("--cpu-isa with several kernel sets needs pytest-xdist (one worker each)")
    specs = ["popen" + "".join(f"//env:{k}={v}" for k, v in env.items()) for env in environments]
    if len(names) == 1:
        count = workers if isinstance(workers, int) else os.cpu_count() or 1
        config.option.tx, config.option.dist = specs * max(1, count), "load"
    else:
        # Every test once per kernel set: xdist's "each" sends every test to every worker.
        config.option.tx, config.option.dist = specs, "each"
    config.option.numprocesses = None
