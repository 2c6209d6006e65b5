"""SGD's Nesterov look-ahead adds momentum times the buffer from before this step's update."""

import types

import torch

LAYER = "SGD"
CAUGHT_BY = ("optimizer_steps::test_optimizer_steps",)


class SGD(torch.optim.SGD):
    """Every implementation flag runs this loop (the bug lives in all of them)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            mu, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad.clone()
                if group["weight_decay"] != 0:
                    g = g.add(p, alpha=group["weight_decay"])
                if mu != 0:
                    state = self.state[p]
                    previous = state.get("momentum_buffer")
                    if previous is None:
                        buffer = before = g.clone()
                    else:
                        before = previous.clone()
                        buffer = previous.mul_(mu).add_(g, alpha=1 - group["dampening"])
                    state["momentum_buffer"] = buffer
                    # The bug: b_{t-1} where the law looks ahead through b_t.
                    g = g.add(before, alpha=mu) if group["nesterov"] else buffer
                p.add_(g, alpha=-lr)


optim = types.SimpleNamespace(**(vars(torch.optim) | {"SGD": SGD}))


def __getattr__(name):
    return getattr(torch.nn, name)
