"""Not a test: an implementation whose Linear kills its process for in_features == 3.

The stand-in for a segfault inside torch: selftest/test_crash.py runs the suite on it
under xdist and checks the run survives and reports the crashing example.
"""

import os

import torch

# The configuration that crashes; every other one is torch's own Linear.
CRASHING_IN_FEATURES = 3


class Linear(torch.nn.Linear):
    def forward(self, input):
        if self.in_features == CRASHING_IN_FEATURES:
            os.abort()  # SIGABRT, as a heap corruption detected by glibc ends a process
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
