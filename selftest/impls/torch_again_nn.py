"""torch.nn under another name: a BatchNorm2d of its own that computes with torch's kernel,
a LayerNorm whose constructor raises, and torch.nn's own classes for every other name.

On it, torch's known failures of BatchNorm2d are this implementation's own to record (its
class is not torch's, so the suite judges every case: the constant channels fail, as
timm's BatchNormAct2d inherits them), and a broken sibling is charged to LayerNorm, never
to the layer beside it. The names it leaves to torch.nn's own classes keep torch's
entries (tests/known_failures/register.py: Honoured.torch_layers).
"""

import torch
from torch.nn import *  # noqa: F403
from torch.nn import init  # noqa: F401


class BatchNorm2d(torch.nn.BatchNorm2d):
    """torch's BatchNorm2d, subclassed: the implementation's own class."""


class LayerNorm(torch.nn.LayerNorm):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("torch_again_nn.LayerNorm is not finished")
