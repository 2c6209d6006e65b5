"""torch_again_nn's own known failures (--impl-known): torch's constant-channel bug, which
this implementation inherits, in the register's typed form."""

from tests.known_failures.entry import Check, KnownFailure, Observed
from tests.known_failures.layers import batch_norm2d

ENTRIES = (
    KnownFailure(
        id="torch_again-batch_norm2d-constant-channel",
        layer="BatchNorm2d",
        breaks=Check.EXACT,
        dtypes=("float32", "float64"),
        covers=batch_norm2d.constant_channel_in_training,
        repro=batch_norm2d.training_constant_channel,
        observed=Observed(since="2.13.0"),
        summary="torch_again_nn.BatchNorm2d is torch's: its constant-channel residue",
        upstream="https://github.com/pytorch/pytorch/issues/5410 (related)",
    ),
)
