"""Bad input exits 2 with a message naming the problem, before any trial runs and without
touching the results folder."""
import os
import shutil
import unittest

from common import BAD_PLUGIN, BUILD_DIR, CliTestCase, base_env, qharness, write

GOOD = "name: bad\ntask: selftest\nselftest:\n  dim: 3\n"


class BadInput(CliTestCase):
    def run_bad(self, yaml_text, *extra, env=None):
        f = write(os.path.join(self.tmp, "exp.yaml"), yaml_text)
        p = qharness(["run", f, *extra], cwd=self.tmp, env=env)
        self.assert_exit(p, 2)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "results")), "bad input wrote results")
        return p.stderr

    def test_malformed_yaml_names_file_and_line(self):
        err = self.run_bad("name: bad\ntask: selftest\nselftest: {dim: 3\n")
        self.assertRegex(err, r"exp\.yaml:\d+:\d+: YAML syntax error")

    def test_a_second_yaml_document_is_refused(self):
        err = self.run_bad(GOOD + "---\nname: other\n")
        self.assertIn("exp.yaml:6:1: a second YAML document", err)

    def test_unknown_key_names_line_and_nearest_key(self):
        err = self.run_bad("name: bad\ntask: selftest\nselftest:\n  dimm: 3\n")
        self.assertIn("exp.yaml:4:3: unknown key 'selftest.dimm' (did you mean 'dim'?)", err)

    def test_wrong_type_and_missing_required_key(self):
        err = self.run_bad("task: selftest\nselftest:\n  dim: lots\n")
        self.assertIn("selftest.dim: expected an int, got 'lots'", err)
        self.assertIn("missing required key 'name'", err)

    def test_unknown_plugin_lists_the_known_ones(self):
        err = self.run_bad(GOOD + "  optimizer: {name: nosuch}\n")
        self.assertIn("exp.yaml:5:", err)
        self.assertIn("unknown optimizer plugin 'nosuch'", err)
        # Every loaded optimizer is listed (more than powell once other plugins are built).
        self.assertRegex(err, r"known optimizer plugins: [^()]*\bpowell\b")

    def test_bad_plugin_option_names_where_the_key_and_what_is_allowed(self):
        # Every plugin option is validated like a built-in key: exit 2, file:line or the command
        # line, the key, the allowed type or range (it was "error: stoll", exit 1).
        base = GOOD + "  optimizer: {name: powell, maxiter: 5}\nquant:\n  weights: {quantizer: uniform, bits: %s}\n"
        for bits, why in (("four", "expected an int, got 'four'"), ("0", "must be in [1, 32], got 0"),
                          ("100", "must be in [1, 32], got 100"), ("4.0", "expected an int, got '4.0'")):
            err = self.run_bad(base % bits)
            self.assertIn("exp.yaml:7:33: quant.weights.bits: " + why, err)
        for override, why in (("quant.weights.percentile=200", "quant.weights.percentile: must be in [1e-09, 100], got 200"),
                              ("selftest.optimizer.maxiter=0", "selftest.optimizer.maxiter: must be >= 1, got 0"),
                              ("selftest.optimizer.maxiter=2,x", "selftest.optimizer.maxiter: expected an int, got 'x'")):
            err = self.run_bad(base % 4, override)
            self.assertIn(f"error: command line '{override}': {why}", err)
        # An option the file gives for another plugin than the command line chooses.
        err = self.run_bad(base % 4, "selftest.optimizer.name=nlopt-bobyqa")
        self.assertIn("exp.yaml:5:29: unknown key 'selftest.optimizer.maxiter' of optimizer 'nlopt-bobyqa' "
                      "(chosen at command line 'selftest.optimizer.name=nlopt-bobyqa')", err)

    def test_names_made_of_dots_or_too_long_are_refused(self):
        # `name: ..` wrote trials and the consolidated file outside results/<name>/.
        for name in (".", "..", "a" * 101):
            err = self.run_bad(f"name: '{name}'\ntask: selftest\n")
            self.assertIn("exp.yaml:1:1: name: ", err)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "trials")))
        self.assertIn("is 101 characters long; at most 100", err)
        # The longest name runs, also as a shard with the longest shard file name.
        longest = "n" * 100
        f = write(os.path.join(self.tmp, "long.yaml"), f"name: {longest}\ntask: selftest\n")
        self.assert_exit(qharness(["run", f, "--shard", "0/999999"], cwd=self.tmp), 0)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "results", longest, "shards",
                                                    f"{longest}.shard-0-of-999999.h5")))

    def test_a_folder_as_experiment_or_base_file_is_named(self):
        os.makedirs(os.path.join(self.tmp, "folder"))
        p = qharness(["run", os.path.join(self.tmp, "folder")], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("folder: cannot read the experiment file: a folder, not a YAML file", p.stderr)
        for base in ("folder", "."):
            err = self.run_bad(f"extends: {base}\n" + GOOD)
            self.assertIn(f"exp.yaml:1:1: extends: '{self.tmp}/{base}': a folder, not a YAML file", err)
        err = self.run_bad("extends: nosuch.yaml\n" + GOOD)
        self.assertIn(f"exp.yaml:1:1: extends: '{self.tmp}/nosuch.yaml': no such file", err)

    def test_unknown_task_lists_the_known_ones(self):
        err = self.run_bad("name: bad\ntask: selftests\n")
        self.assertIn("'selftests' is not one of", err)
        self.assertIn("did you mean 'selftest'?", err)

    def test_plugin_built_for_another_api_version_is_refused(self):
        self.assertTrue(os.path.exists(BAD_PLUGIN), BAD_PLUGIN)
        folder = os.path.join(self.tmp, "plugins")
        os.makedirs(folder)
        shutil.copy(BAD_PLUGIN, folder)
        for env, extra_yaml in ((base_env(QHARNESS_PLUGIN_PATH=folder), ""),
                                (None, f"plugins: [{folder}]\n")):
            err = self.run_bad(GOOD + extra_yaml, env=env)
            self.assertIn("was built for qharness plugin API version 999", err)
            self.assertIn("this qharness has plugin API version 2", err)
        p = qharness(["plugins"], cwd=self.tmp, env=base_env(QHARNESS_PLUGIN_PATH=folder))
        self.assert_exit(p, 2)

    def test_two_plugins_with_one_name_are_refused(self):
        # A second copy of the powell library under another file name registers "powell" again.
        folder = os.path.join(self.tmp, "dup")
        os.makedirs(folder)
        builtin = os.path.join(BUILD_DIR, "lib/qharness/plugins/qharness_powell.so")
        shutil.copy(builtin, os.path.join(folder, "my_powell.so"))
        err = self.run_bad(GOOD, env=base_env(QHARNESS_PLUGIN_PATH=folder))
        self.assertIn("two optimizer plugins are named 'powell'", err)
        self.assertIn("qharness_powell.so", err)
        self.assertIn("my_powell.so", err)

    def test_missing_data_path_names_it_and_the_package(self):
        err = self.run_bad(GOOD + "data:\n  dataset: fashion-mnist\n  root: /nonexistent/fmnist\n")
        self.assertIn("exp.yaml:7:", err)
        self.assertIn("'/nonexistent/fmnist'", err)
        self.assertIn("dataset-fashion-mnist", err)

    def test_data_folder_without_the_dataset_files(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        err = self.run_bad(GOOD + f"data:\n  dataset: mnist\n  root: {empty}\n")
        self.assertIn("lacks the mnist files train-images-idx3-ubyte.gz", err)

    def test_bad_override_and_bad_sweep(self):
        err = self.run_bad(GOOD, "selftest.dim")
        self.assertIn("expected key.path=value", err)
        err = self.run_bad(GOOD + "sweep:\n  zip:\n    selftest.dim: [1, 2]\n    selftest.size: [5]\n")
        self.assertIn("zipped lists advance together", err)

    def test_a_stray_comma_is_a_syntax_error_not_a_hang(self):
        # yaml-cpp 0.7 loops, allocating without bound, on a ',' that no document can start
        # with (found by tests/fuzz); qharness refuses it before yaml-cpp's LoadAll sees it.
        for text, where in ((",\n", "1:1"), ("# note\n\n, a\nname: x\n", "3:1"),
                            ("name: x\n...\n--- ,\n", "3:5"), ("- name\n- x\n,\n", "3:1")):
            path = write(os.path.join(self.tmp, "comma.yaml"), text)
            p = qharness(["run", path], cwd=self.tmp, timeout=60)
            self.assert_exit(p, 2)
            self.assertIn(f"comma.yaml:{where}: YAML syntax error: unexpected ',' outside [...] or {{...}}", p.stderr)

    def test_missing_experiment_file(self):
        p = qharness(["run", os.path.join(self.tmp, "nope.yaml")], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("nope.yaml: cannot read the experiment file", p.stderr)


if __name__ == "__main__":
    unittest.main()
