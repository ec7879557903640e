"""A power-of-two quantizer written in Python, for qharness's `torchscript` quantizer plugin.

Save it (writes pow2_quant.pt beside this file):

    /usr/bin/python3 plugins/python/pow2_quant.py

then name it in an experiment: quant: {weights: {quantizer: torchscript, module: pow2_quant.pt, bits: 4}}

Levels: 0 and +-clip * 2^-k for k = 0 .. 2^(bits-1) - 2 (signed; unsigned tensors get the
same magnitudes without the sign, k up to 2^bits - 2), so every product is a shift. The clip
is max|x|. Rounding is to the nearest level in the log domain; magnitudes below half the
smallest level become 0. The backward is straight-through: x + (q - x).detach().
"""
import os

import torch


class Pow2Quant(torch.nn.Module):
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        m = x.abs().max() if signed else x.clamp_min(0.0).max()
        return m.clamp_min(1e-12)

    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        levels = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1   # nonzero magnitudes
        lo = -clip if signed else torch.zeros_like(clip)
        y = torch.minimum(torch.maximum(x, lo), clip)
        mag = y.abs() / clip
        e = torch.round(torch.log2(mag.clamp_min(1e-30))).clamp(-(levels - 1), 0.0)
        smallest = 2.0 ** (-(levels - 1))
        q = torch.where(mag < smallest / 2, torch.zeros_like(mag), torch.exp2(e)) * clip * torch.sign(y)
        return x + (q - x).detach()


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pow2_quant.pt")
    torch.jit.save(torch.jit.script(Pow2Quant()), out)
    print(out)
