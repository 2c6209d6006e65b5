"""The forward's probe runs on a copy of the module through the module's own runner
(tests.paths.routing.copy_sharing_runner): what the probe's call writes lands in the copy,
never in the module under test. A BatchNorm in train mode updates its running statistics
on every call, so a probe that wrote the original's would show as a second update."""

import pytest
import torch

from tests.cases import run_with_probe
from tests.paths import by_name
from tests.paths.routing import active, on_path

# aot_eager compiles in well under a second and calls its graph as inductor and
# inductor-dynamic do, the module's tensors as inputs (freezing makes them constants).
PATHS = ["eager", "compile:aot_eager"]


@pytest.mark.parametrize("path_name", PATHS)
def test_the_probe_leaves_the_module_s_buffers_as_one_call_leaves_them(path_name):
    path = by_name(path_name)
    if path.missing():
        pytest.skip(f"{path_name}: {path.missing()}")
    x = torch.randn(4, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    with active(path):
        module = on_path(path_name, torch.nn.BatchNorm2d(3).train())
        for _ in range(2):  # the second call runs on the graph the first one built
            before = module.running_mean.clone()
            run_with_probe(module, x)
            assert not torch.equal(module.running_mean, before)
    twice = torch.nn.BatchNorm2d(3).train()
    twice(x)
    twice(x)
    assert int(module.num_batches_tracked) == 2
    torch.testing.assert_close(module.running_mean, twice.running_mean, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(module.running_var, twice.running_var, rtol=1e-6, atol=1e-7)
