"""A seed means the same examples whatever a run collects (conftest.py loads every module).

Hypothesis draws from the literals of the local modules loaded when it draws, so a
replay line that collects one test file must load the same spec, reference and report
modules the full run does. Seen before the fix: seed 102's gradcheck failure did not
replay alone.
"""

import sys

import conftest


def test_every_module_of_the_constant_packages_is_loaded_before_tests_draw():
    for package in conftest.SAME_CONSTANTS_PACKAGES:
        names = conftest.modules_of(package)
        assert names, package
        missing = [name for name in names if name not in sys.modules]
        assert not missing, f"not loaded by conftest.py: {missing}"
