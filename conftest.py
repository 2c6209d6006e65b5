"""pytest entry point: the suite's plugin, one concern per module (tests/plugin/).

`preload` comes first: every spec and reference module is loaded before anything draws,
so a seed means the same examples whatever a run collects.
"""

pytest_plugins = [
    "tests.plugin.preload",
    "tests.plugin.stale_memory",
    "tests.plugin.options",
    "tests.plugin.kernel_set_workers",
    "tests.plugin.run",
    "tests.plugin.parametrize",
    "tests.plugin.cells",
    "tests.plugin.property_run",
    "tests.plugin.crashes",
    "tests.plugin.lost_devices",
    "tests.plugin.claims",
]
