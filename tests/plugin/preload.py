"""The same draws whatever is collected: every spec, reference and harness module loaded first.

Hypothesis mixes the literals of the local, non-test modules loaded when it draws into
what it draws (numbers written in spec/ and reference/), so one cell replayed alone (its
replay line collects one test file, which imports fewer of them) drew other examples than
the full run and missed its failure. Every module of these packages is loaded when this
plugin loads, before anything draws: a seed means the same examples in every run. The
report's own modules are loaded by the report plugin (report/plugin.py).
"""

from __future__ import annotations

import importlib
import pkgutil

SAME_CONSTANTS_PACKAGES = ("spec", "reference")


def modules_of(package_name: str) -> list[str]:
    """Every module of a package, by name (not its __main__, which runs a command)."""
    package = importlib.import_module(package_name)
    found = pkgutil.walk_packages(package.__path__, f"{package_name}.")
    return [info.name for info in found if not info.name.endswith("__main__")]


for _package in SAME_CONSTANTS_PACKAGES:
    for _module in modules_of(_package):
        importlib.import_module(_module)
