"""The built-in `uniform` quantizer (integer grid, minmax calibration, round to nearest) written
in Python, for the `torchscript` quantizer plugin: the equality test (cli.test_torchscript_quant)
and the speed benchmark (qharness_bench_torchscript_quant) compare it with the C++ one.

    /usr/bin/python3 tests/torchscript/uniform_quant.py OUT.pt

Grid (plugins/quantizers/uniform/uniform_grid.hpp): signed levels k * s, |k| <= 2^(M-1) - 1,
s = clip / (2^(M-1) - 1); unsigned k * s, 0 <= k <= 2^M - 1, s = clip / (2^M - 1). The same ATen
ops in the same order as the C++ composed path, so the same bits.
"""
import sys

import torch


class UniformQuant(torch.nn.Module):
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        m = x.abs().amax() if signed else x.amax()
        return m.clamp_min(1e-12)

    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        if signed:
            hi = float(2 ** (bits - 1) - 1)
            lo = -hi
        else:
            hi = float(2 ** bits - 1)
            lo = 0.0
        s = clip / hi
        if torch.is_grad_enabled() and (x.requires_grad or clip.requires_grad):
            y = (x / s).clamp(lo, hi)
            return (y + (y.round() - y).detach()) * s   # straight-through: = round(y) * s
        # Nothing to differentiate (LAPQ's loss evaluations, calibration): one buffer, the
        # other passes in place. Each fresh activation-sized tensor costs its page faults.
        return (x / s).clamp_(lo, hi).round_().mul_(s)


if __name__ == "__main__":
    torch.jit.save(torch.jit.script(UniformQuant()), sys.argv[1])
