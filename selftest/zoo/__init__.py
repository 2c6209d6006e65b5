"""The mutant zoo: deliberately broken layer implementations every property must catch.

A property that never sees a failing implementation is unproven. Each module here is
one mutant, an implementation usable as `--impl selftest.zoo.<module>`:

- its docstring is one line saying what is broken, as a careless implementation would be;
- it subclasses the torch.nn class and overrides one method (or replaces one `init`
  function) with the subtly wrong version; everything else comes from torch.nn through
  a module-level `__getattr__` (PEP 562), so `init` and every other class still resolve;
- it declares, as data, `LAYER = "Conv2d"` (the spec it is run against) and
  `CAUGHT_BY = ("forward", ...)`: the properties (tests/test_<property>.py without
  `test_`) that must fail for it; "init::test_init_kaiming" narrows one to a single test
  of its file (otherwise every test in the file runs, and at least one must fail).
  Optional: `DTYPE = "float64"` (default "float32"); `EXAMPLES = n` when the violation
  is rare per example (default: the `ci` profile's count), with the reason in a comment;
  `RUN_ON = {"models": "LeNet5"}` when a property is parametrized over other specs
  than LAYER (test_models runs over model specs).

    '''Linear.forward forgets the bias.'''
    import torch
    from torch.nn import functional

    LAYER = "Linear"
    CAUGHT_BY = ("forward", "gradients")

    class Linear(torch.nn.Linear):
        def forward(self, input):
            return functional.linear(input, self.weight)

    def __getattr__(name):
        return getattr(torch.nn, name)

An `init` mutant replaces the namespace instead (a dict merge: passing the name twice
as keywords would be a TypeError):
`init = types.SimpleNamespace(**(vars(torch.nn.init) | {"kaiming_uniform_": broken}))`.

selftest/test_zoo.py runs every property in CAUGHT_BY against its mutant with fixed
Hypothesis settings and requires a genuine failure (an assertion, or for `errors` the
wrong exception escaping the mutant's own code); the same property on torch.nn must
pass. Adding a property file without a mutant here fails the self-tests.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def mutant_names() -> list[str]:
    """Every mutant module in the zoo, by module name."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.ispkg)


def load(name: str) -> ModuleType:
    """The mutant module `name`."""
    return importlib.import_module(f"{__name__}.{name}")
