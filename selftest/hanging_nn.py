"""Not a test: an implementation whose Linear hangs, holding the GIL, for in_features == 3.

The stand-in for a worker stuck in glibc's free() on a corrupted heap: the call blocks in
C without releasing the GIL, so no Python thread can notice. selftest/test_crash.py runs
the suite on it under xdist and checks the run goes on and reports the hung example.
"""

import ctypes

import torch

# The configuration that hangs; every other one is torch's own Linear.
HANGING_IN_FEATURES = 3


class Linear(torch.nn.Linear):
    def forward(self, input):
        if self.in_features == HANGING_IN_FEATURES:
            # PyDLL keeps the GIL through the call, as a C extension stuck in a lock does.
            ctypes.PyDLL(None).sleep(3600)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
