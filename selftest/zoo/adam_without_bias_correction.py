"""Adam divides the raw moments, m / (sqrt(v) + eps), without their bias corrections."""

import types

import torch

LAYER = "Adam"
CAUGHT_BY = ("optimizer_steps::test_optimizer_steps",)


class Adam(torch.optim.Adam):
    """Every implementation flag runs this loop (the bug lives in all of them)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd = group["lr"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad.clone()
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * wd)
                    else:
                        g = g.add(p, alpha=wd)
                state["exp_avg"].lerp_(g, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                v = state["exp_avg_sq"]
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                # The bug: no 1 - beta1^t, no 1 - beta2^t.
                p.addcdiv_(state["exp_avg"], v.sqrt().add_(group["eps"]), value=-lr)


optim = types.SimpleNamespace(**(vars(torch.optim) | {"Adam": Adam}))


def __getattr__(name):
    return getattr(torch.nn, name)
