"""Adding a plugin, as docs/plugins.md says: install qharness, copy the template
quantizer, rename it, build it OUT OF TREE against the installed CMake package, put it on
$QHARNESS_PLUGIN_PATH, and use it in a run."""
import os
import shutil
import subprocess
import unittest

import h5py

from common import BUILD_DIR, SOURCE_DIR, CliTestCase, base_env, write


class TemplatePluginOutOfTree(CliTestCase):
    def sh(self, *cmd, **kw):
        p = subprocess.run(cmd, capture_output=True, text=True, **kw)
        self.assertEqual(p.returncode, 0, f"{' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
        return p

    def test_copy_build_load_and_run(self):
        prefix = os.path.join(self.tmp, "prefix")
        self.sh("cmake", "--install", BUILD_DIR, "--prefix", prefix)
        qharness = os.path.join(prefix, "bin", "qharness")
        self.assertTrue(os.path.exists(os.path.join(prefix, "include/qharness/plugin.hpp")))

        src = os.path.join(self.tmp, "my_quantizer")
        shutil.copytree(os.path.join(SOURCE_DIR, "plugins/quantizers/template"), src)
        build = os.path.join(src, "build")
        self.sh("cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                f"-DCMAKE_PREFIX_PATH={prefix}", "-DQHARNESS_PLUGIN_NAME=my-quant")
        self.sh("cmake", "--build", build, "-j2")

        env = base_env(QHARNESS_PLUGIN_PATH=build)
        listing = self.sh(qharness, "plugins", env=env).stdout
        self.assertRegex(listing, r"quantizer\s+my-quant\s+" + build)
        self.assertRegex(listing, r"optimizer\s+powell\s+" + prefix)   # the installed plugin folder

        exp = write(os.path.join(self.tmp, "exp", "q.yaml"),
                    "name: oot\ntask: selftest\nselftest:\n  function: quant-mse\n"
                    "  quantizer: {quantizer: my-quant, bits: 3}\n")
        self.sh(qharness, "run", exp, cwd=os.path.dirname(exp), env=env)
        with h5py.File(os.path.join(self.tmp, "exp/results/oot/oot.h5"), "r") as h:
            (g,) = h["trials"].values()
            self.assertEqual(g.attrs["status"], "done")
            self.assertIn("quantizer: my-quant", g.attrs["config"])
            m = {k: float(v[()]) for k, v in g["metrics"].items()}
        # The search over the clip beats the plugin's own max|x| calibration at 3 bits.
        self.assertLess(m["f_star"], m["mse_init"])
        self.assertLess(m["clip_star"], m["clip_init"])


if __name__ == "__main__":
    unittest.main()
