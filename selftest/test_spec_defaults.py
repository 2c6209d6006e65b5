"""Each spec states torch.nn's documented constructor defaults, argument for argument.

The spec is what an implementation's own defaults are held to (an --impl LayerNorm whose
eps defaults to 1e-6 is not torch's), so it must agree with torch's signature here.
"""

import inspect

import pytest
import torch

from spec.registry import LAYERS
from tests.impl import FACTORY_KWARGS


@pytest.mark.parametrize("spec", LAYERS, ids=lambda s: s.name)
def test_spec_defaults_are_torch_nn_defaults(spec):
    parameters = inspect.signature(getattr(torch.nn, spec.name)).parameters.values()
    torch_defaults = {
        p.name: p.default
        for p in parameters
        if p.default is not inspect.Parameter.empty and p.name not in FACTORY_KWARGS
    }
    # An older release lacks newer arguments (LayerNorm's bias before 2.1): not judged.
    stated = {name: value for name, value in spec.defaults.items() if name in torch_defaults}
    assert stated == torch_defaults
