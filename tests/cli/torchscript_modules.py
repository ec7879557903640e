"""Scripting helpers of the torchscript plugin tests: the examples of plugins/python/ and the
test's own modules, saved with Debian's python3-torch into a test's folder."""
import importlib.util
import io
import os
import zipfile

import torch

from common import SOURCE_DIR


def import_source(*parts):
    """The Python file SOURCE_DIR/parts..., imported as a module."""
    path = os.path.join(SOURCE_DIR, *parts)
    spec = importlib.util.spec_from_file_location(os.path.splitext(parts[-1])[0], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def example(name):
    """The module `name` (nm_mask, pow2_quant) of plugins/python/."""
    return import_source("plugins", "python", name + ".py")


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


def scripted_uniform():
    """The built-in `uniform` quantizer written in Python (tests/torchscript/uniform_quant.py)."""
    return import_source("tests", "torchscript", "uniform_quant.py").UniformQuant()


class GradIdentity(torch.nn.Module):
    """A gradient quantizer that changes nothing: quant-train must match no gradient quantizer."""
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x.abs().amax().clamp_min(1e-12)

    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x


class GradStochastic(torch.nn.Module):
    """Per-channel (dim 0) uniform levels with stochastic rounding from torch.rand_like."""
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x.abs().amax().clamp_min(1e-12)

    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        hi = float(2 ** (bits - 1) - 1)
        s = clip / hi
        y = (x / s).clamp(-hi, hi)
        return (y + torch.rand_like(y)).floor() * s


class QuantNoCalibrate(torch.nn.Module):
    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x


class QuantWrongForward(torch.nn.Module):
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x.abs().amax()

    def forward(self, x: torch.Tensor, clip: float, bits: int, signed: bool) -> torch.Tensor:
        return x


class QuantFlattens(torch.nn.Module):
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x.abs().amax()

    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x.reshape(-1)


class QuantClipPerElement(torch.nn.Module):
    @torch.jit.export
    def calibrate(self, x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x.abs()

    def forward(self, x: torch.Tensor, clip: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
        return x
