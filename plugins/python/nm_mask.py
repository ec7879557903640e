"""A 1-D N:M mask written in Python, for qharness's `torchscript` mask plugin.

Save it (writes nm_mask.pt beside this file):

    /usr/bin/python3 plugins/python/nm_mask.py

then name it in an experiment: masks: {method: torchscript, module: nm_mask.pt, pattern: nm, n: 2, m: 4}

forward(weight, n, m) returns a bool mask of the weight's shape: the n largest |w| of every m
consecutive input channels (dim 1) at each output channel and kernel position, ties to the
lower channel; the last group of a layer whose input channels are not a multiple of m keeps
min(n, its size). This is the layout of the built-in `nm` plugin, and the same masks.
"""
import os

import torch


class NMMask(torch.nn.Module):
    def forward(self, weight: torch.Tensor, n: int, m: int) -> torch.Tensor:
        # [out, in, ...] -> [out, kernel positions, in]: the groups run along the last axis.
        w = weight.abs().reshape(weight.shape[0], weight.shape[1], -1).transpose(1, 2)
        cin = w.shape[2]
        groups = (cin + m - 1) // m
        pad = groups * m - cin
        # Padding of -1 ranks below every |w|; it is dropped again below.
        w = torch.nn.functional.pad(w, [0, pad], value=-1.0)
        w = w.reshape(w.shape[0], w.shape[1], groups, m)
        # A stable descending sort keeps the lower channel first among equal magnitudes.
        order = torch.sort(w, dim=-1, descending=True, stable=True)[1]
        keep = order.argsort(dim=-1) < n   # each entry's rank in its group
        keep = keep.reshape(w.shape[0], w.shape[1], groups * m)[..., :cin]
        return keep.transpose(1, 2).reshape(weight.shape)


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nm_mask.pt")
    torch.jit.save(torch.jit.script(NMMask()), out)
    print(out)
