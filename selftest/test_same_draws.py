"""A seed means the same examples whatever a run collects (the plugin loads every module).

Hypothesis draws from the literals of the local modules loaded when it draws, so a
replay line that collects one test file must load the same spec, reference and report
modules the full run does. Seen before the fix: seed 102's gradcheck failure did not
replay alone.
"""

import os
import subprocess
import sys
from pathlib import Path

import report.plugin
from tests.plugin import preload, profiles

ROOT = Path(__file__).resolve().parents[1]
# Variables by which Hypothesis decides it runs in CI (tox sets the second one).
CI_VARIABLES = ("CI", "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI", "GITHUB_ACTIONS", "TF_BUILD")


def test_every_module_of_the_constant_packages_is_loaded_before_tests_draw():
    packages = {package: "tests/plugin/preload.py" for package in preload.SAME_CONSTANTS_PACKAGES}
    packages["report"] = "report/plugin.py"
    for package, loader in packages.items():
        names = preload.modules_of(package)
        assert names, package
        missing = [name for name in names if name not in sys.modules]
        assert not missing, f"not loaded by {loader}: {missing}"
    assert report.plugin.ALL_MODULES


# Prints each profile's settings as the suite registers them, in a fresh process.
PROFILES_SCRIPT = """
from hypothesis import settings
from tests.plugin import profiles
for name in profiles.PROFILE_EXAMPLES:
    profile = settings.get_profile(name)
    print(name, profile.derandomize, repr(profile.database), profile.max_examples)
"""


def _profiles_under(extra_environment: dict[str, str]) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    environment |= {"PYTHONPATH": str(ROOT), **extra_environment}
    done = subprocess.run(
        [sys.executable, "-c", PROFILES_SCRIPT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_a_ci_environment_does_not_change_the_profiles():
    """Seen before the fix: with CI set, Hypothesis' own ci profile was every profile's
    parent and derandomized it, so the seed was ignored and CI drew other examples than
    the printed replay line does anywhere else (selftest/test_crash.py failed only in CI)."""
    plain = _profiles_under({})
    assert len(plain) == len(profiles.PROFILE_EXAMPLES)
    assert all(line.split()[1] == "False" for line in plain), plain
    for variables in ({"CI": "true"}, {"GITHUB_ACTIONS": "true"}, {"TF_BUILD": "true"}):
        assert _profiles_under(variables) == plain, variables
