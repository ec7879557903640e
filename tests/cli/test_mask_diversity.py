"""`qharness mask-diversity N:M [--transposable|--unstructured] [--size K]`: exact counts and
their log10; bad input exits 2 with a message naming the problem. Also: the mask plugins load."""
import math
import subprocess
import unittest

from common import QHARNESS, base_env


def run(*args):
    return subprocess.run([QHARNESS, *args], capture_output=True, text=True, env=base_env(), timeout=60)


def field(stdout, name):
    for line in stdout.splitlines():
        if line.startswith(name + ": "):
            return line[len(name) + 2:]
    raise AssertionError(f"no '{name}:' line in {stdout!r}")


class MaskDiversity(unittest.TestCase):
    def test_transposable_4_8_block_count(self):
        r = run("mask-diversity", "4:8", "--transposable")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(field(r.stdout, "count"), "116963796250")
        self.assertEqual(field(r.stdout, "size"), "64 weights")
        self.assertAlmostEqual(float(field(r.stdout, "log10")), math.log10(116963796250), places=5)

    def test_nm_and_unstructured_counts_on_a_given_size(self):
        r = run("mask-diversity", "2:4", "--size", "32")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(int(field(r.stdout, "count")), math.comb(4, 2) ** 8)
        r = run("mask-diversity", "2:4", "--unstructured", "--size", "32")
        self.assertEqual(int(field(r.stdout, "count")), math.comb(32, 16))
        r = run("mask-diversity", "2:4", "--transposable", "--size", "32")
        self.assertEqual(int(field(r.stdout, "count")), 90 ** 2)

    def test_bad_input_exits_2_naming_the_problem(self):
        for args, needle in [(["4-8"], "expected N:M"), (["5:4"], "n = 5"),
                             (["2:4", "--transposable", "--size", "24"], "multiple of 16"),
                             (["2:4", "--transposable", "--unstructured"], "excludes")]:
            r = run("mask-diversity", *args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(needle, r.stderr, args)


class MaskPlugins(unittest.TestCase):
    def test_every_mask_plugin_is_listed(self):
        r = run("plugins")
        self.assertEqual(r.returncode, 0, r.stderr)
        masks = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("mask ")}
        self.assertEqual(masks, {"unstructured", "nm", "tnm-mcf", "tnm-greedy", "tnm-exhaustive", "template", "torchscript"})


if __name__ == "__main__":
    unittest.main()
