"""BatchNorm1d's weight gradient folds x_hat into a multiply-add for channels over eight values."""

import torch

LAYER = "BatchNorm1d"
# A backward whose vector body, for a channel longer than one vector of eight float32
# lanes, recomputes x_hat as x * invstd - mean * invstd in one fused multiply-add (as
# torch's forward folds its affine transform), where the scalar tail computes
# (x - mean) * invstd. For a constant channel x - mean is exactly 0 and the weight
# gradient sum(g * x_hat) exactly 0; the fused form leaves the rounding of mean * invstd
# in every term (when c * invstd is not exact in float32: 9 seeds of 10 meet such a case).
# Within rounding of the math, so gradients' tolerance passes it: only an exact case
# with more than 8 values per channel sees it. Its guard is the class "more than 8 values
# per channel", which the exact cases meet every run (LayerSpec.exact_input_classes); at
# present BatchNorm1d's 2-D draws (up to 32 rows) meet it unasked as often.
CAUGHT_BY = ("exact",)

ONE_VECTOR = 8  # float32 lanes of one AVX2 register


class BatchNorm1d(torch.nn.BatchNorm1d):
    def forward(self, input):
        output = super().forward(input)
        batch_statistics = self.training or self.running_mean is None
        dims = (0, *range(2, input.dim()))
        count = input.numel() // input.shape[1]
        wrong = input.dtype == torch.float32 and batch_statistics and count > ONE_VECTOR
        if not wrong or self.weight is None:
            return output
        with torch.no_grad():
            x = input.double()
            mean = input.mean(dims, keepdim=True)
            invstd = torch.rsqrt(input.var(dims, unbiased=False, keepdim=True) + self.eps)
            centred = ((x - mean.double()) * invstd.double()).float()
            # The fused multiply-add: x * invstd exact in float64, mean * invstd rounded.
            folded = (x * invstd.double() - (mean * invstd).double()).float()
        # Adds exactly 0 to the output; the weight gradient becomes sum(g * folded).
        shape = (1, -1) + (1,) * (input.dim() - 2)
        weight = self.weight.view(shape)
        return output + (weight - weight.detach()) * (folded - centred)


def __getattr__(name):
    return getattr(torch.nn, name)
