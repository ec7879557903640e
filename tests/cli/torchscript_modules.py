"""Scripting helpers of the torchscript plugin tests: the examples of plugins/python/ and the
test's own modules, saved with Debian's python3-torch into a test's folder."""
import importlib.util
import io
import os
import zipfile

import torch

from common import SOURCE_DIR


def example(name):
    """The module `name` (nm_mask, pow2_quant) of plugins/python/, imported from its file."""
    path = os.path.join(SOURCE_DIR, "plugins", "python", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def save(module, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.jit.save(torch.jit.script(module), path)
    return path


def with_format_version(src, dst, version):
    """A copy of the saved module `src` whose archive says it was written in file-format
    `version` (what a newer torch writes): every entry copied as stored, the version record
    replaced."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("/version") or item.filename.endswith("/.data/version"):
                data = f"{version}\n".encode()
            zout.writestr(item, data)
    return dst


# Modules that break the mask contract, one way each.
class MaskNoForward(torch.nn.Module):
    @torch.jit.export
    def mask(self, weight: torch.Tensor, n: int, m: int) -> torch.Tensor:
        return weight != 0


class MaskWrongSignature(torch.nn.Module):
    def forward(self, weight: torch.Tensor, n: int) -> torch.Tensor:
        return weight != 0


class MaskFloat(torch.nn.Module):
    def forward(self, weight: torch.Tensor, n: int, m: int) -> torch.Tensor:
        return (weight != 0).float()


class MaskWrongShape(torch.nn.Module):
    def forward(self, weight: torch.Tensor, n: int, m: int) -> torch.Tensor:
        return (weight != 0).reshape(-1)


class MaskThrows(torch.nn.Module):
    def forward(self, weight: torch.Tensor, n: int, m: int) -> torch.Tensor:
        if n < m:
            raise RuntimeError("this mask refuses n < m")
        return weight != 0


class MaskKeepAll(torch.nn.Module):
    def forward(self, weight: torch.Tensor, n: int, m: int) -> torch.Tensor:
        return torch.ones_like(weight, dtype=torch.bool)

