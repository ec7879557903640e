"""`qharness import`: torchvision resnet18 and resnet50 with seeded random weights (and
randomized BatchNorm statistics, so buffers matter), exported with torch.jit.save, imported
by name; the zoo model's logits must match torchvision's to 1e-4 on the same input. Skipped
when /usr/bin/python3 lacks torch or torchvision (`./qh` installs python3-torch and
python3-torchvision)."""
import os
import re
import unittest

from common import CliTestCase, qharness

try:
    import torch
    import torchvision
except ImportError as e:  # pragma: no cover
    torch = None
    # ctest reports the test as skipped on this phrase (tests/CMakeLists.txt), not as passed.
    SKIP_REASON = f"no torch for the import test: python3-torch / python3-torchvision missing ({e}); " \
                  "apt-get install python3-torch python3-torchvision"


def export(arch, path, num_classes=1000):
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    torch.jit.save(torch.jit.script(model), path)
    return model


@unittest.skipIf(torch is None, SKIP_REASON if torch is None else "")
class ImportTorchvisionTest(CliTestCase):
    def check_arch(self, arch):
        src = os.path.join(self.tmp, f"{arch}.pt")
        export(arch, src)
        out = os.path.join(self.tmp, f"{arch}.ckpt")
        p = qharness(["import", src, "--arch", arch, "-o", out, "--check-size", "64"], cwd=self.tmp)
        self.assert_exit(p, 0)
        diff = float(re.search(r"max \|logit difference\| vs the TorchScript module: (\S+)", p.stdout).group(1))
        self.assertLess(diff, 1e-4, p.stdout)
        self.assertTrue(os.path.exists(out))

    def test_resnet18(self):
        self.check_arch("resnet18")

    def test_resnet50(self):
        self.check_arch("resnet50")

    def test_wrong_arch_is_refused_naming_the_tensor(self):
        src = os.path.join(self.tmp, "r18.pt")
        export("resnet18", src)
        p = qharness(["import", src, "--arch", "resnet50", "-o", os.path.join(self.tmp, "x.ckpt")], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertRegex(p.stderr, r"'[a-z0-9_.]+' has shape \[[0-9, ]+\] in .*resnet50 expects|"
                                  r"has no tensor '[a-z0-9_.]+'|has a tensor '[a-z0-9_.]+'")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.ckpt")))

    def assert_refused(self, args, message):
        out = os.path.join(self.tmp, "refused.ckpt")
        p = qharness(["import", *args, "-o", out], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn(message, p.stderr)
        for trace in ("Exception raised from", "frame #"):   # LibTorch's C++ stack trace
            self.assertNotIn(trace, p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_bad_files_and_arch_are_refused_without_a_stack_trace(self):
        self.assert_refused([os.path.join(self.tmp, "nosuch.pt"), "--arch", "resnet18"], "nosuch.pt': no such file")
        garbage = os.path.join(self.tmp, "garbage.pt")
        with open(garbage, "wb") as f:
            f.write(b"not a zip archive")
        self.assert_refused([garbage, "--arch", "resnet18"], "garbage.pt' is not a TorchScript file")
        src = os.path.join(self.tmp, "r18.pt")
        export("resnet18", src)
        self.assert_refused([src, "--arch", "nosuch"], "--arch: nosuch not in {mlp,lenet5,resnet20,resnet18,resnet50}")

    def test_weights_with_nan_or_inf_are_refused_naming_the_tensor(self):
        model = export("resnet18", os.path.join(self.tmp, "ok.pt"))
        with torch.no_grad():
            model.layer2[1].conv1.weight[3, 0, 1, 2] = float("nan")
            model.layer2[1].conv1.weight[5, 1, 0, 0] = float("inf")
            model.bn1.running_var[7] = float("-inf")
        src = os.path.join(self.tmp, "bad.pt")
        torch.jit.save(torch.jit.script(model), src)
        self.assert_refused([src, "--arch", "resnet18"],   # tensors are checked in name order
                            f"import: 'bn1.running_var' in '{src}' holds -Inf at [7] (1 of 64 values not finite)")
        with torch.no_grad():
            model.bn1.running_var[7] = 1.0
        torch.jit.save(torch.jit.script(model), src)
        self.assert_refused([src, "--arch", "resnet18"], f"import: 'layer2.1.conv1.weight' in '{src}' holds "
                                                         "NaN at [3, 0, 1, 2] (2 of 147456 values not finite)")

if __name__ == "__main__":
    unittest.main()
