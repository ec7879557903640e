"""`threads: auto` and how OpenMP's threads wait (util/usable_cpus.hpp, util/omp_wait.hpp):
each trial records the thread count it ran with; auto follows the affinity mask and
SLURM_CPUS_PER_TASK; `qharness run` reports its waiting rule and, where the rule needs a
variable that libgomp reads before main(), runs on in a restarted process that has it."""
import os
import shutil
import subprocess
import time
import unittest

import h5py

from common import QHARNESS, CliTestCase, base_env, qharness, write

SELFTEST = "name: t\ntask: selftest\n"   # threads: auto, the default


class Threads(CliTestCase):
    def run_selftest(self, env=None, prefix=(), text=SELFTEST):
        f = write(os.path.join(self.tmp, "t.yaml"), text)
        shutil.rmtree(os.path.join(self.tmp, "results"), ignore_errors=True)
        r = subprocess.run([*prefix, QHARNESS, "run", f], cwd=self.tmp, env=env or base_env(),
                           capture_output=True, text=True, timeout=300)
        self.assert_exit(r, 0)
        with h5py.File(os.path.join(self.tmp, "results/t/t.h5"), "r") as h:
            (trial,) = h["trials"].values()
            return int(trial.attrs["threads"]), r.stderr

    def test_auto_is_the_affinity_mask(self):
        cpus = len(os.sched_getaffinity(0))
        threads, log = self.run_selftest()
        self.assertEqual(threads, cpus)
        self.assertIn(f"threads: auto = {cpus} (affinity mask)", log)
        if shutil.which("taskset") and cpus > 1:
            threads, log = self.run_selftest(prefix=("taskset", "-c", str(min(os.sched_getaffinity(0)))))
            self.assertEqual(threads, 1)
            self.assertIn("threads: auto = 1 (affinity mask)", log)

    def test_auto_is_slurms_cpus_per_task_when_fewer(self):
        threads, log = self.run_selftest(base_env(SLURM_CPUS_PER_TASK="1"))
        self.assertEqual(threads, 1)
        if len(os.sched_getaffinity(0)) > 1:
            self.assertIn("threads: auto = 1 (SLURM_CPUS_PER_TASK)", log)

    def test_a_number_is_kept_and_recorded(self):
        threads, log = self.run_selftest(text=SELFTEST + "threads: 3\n")
        self.assertEqual(threads, 3)
        # The start-up line says the experiment's number, not what auto would have been.
        self.assertIn("threads: 3 (set by the experiment); OpenMP waiting:", log)
        self.assertNotIn("threads: auto", log)

    def test_run_reports_its_waiting_rule(self):
        cases = [({"QHARNESS_OMP_WAIT": "default"}, "OpenMP waiting: libgomp's default (QHARNESS_OMP_WAIT=default)"),
                 ({"QHARNESS_OMP_WAIT": "passive"}, "OpenMP waiting: OMP_WAIT_POLICY=passive (QHARNESS_OMP_WAIT=passive)"),
                 ({"QHARNESS_OMP_WAIT": "spin"}, "OpenMP waiting: GOMP_SPINCOUNT=10000 (QHARNESS_OMP_WAIT=spin)"),
                 ({"QHARNESS_OMP_WAIT": "passive", "OMP_WAIT_POLICY": "active"},
                  "OpenMP waiting: as the environment sets it (the environment sets OMP_WAIT_POLICY)")]
        for extra, line in cases:
            with self.subTest(**extra):
                _, log = self.run_selftest(base_env(**extra))
                self.assertIn(line, log)
        env = base_env()
        env.pop("QHARNESS_OMP_WAIT", None)   # auto: measured at start
        _, log = self.run_selftest(env)
        self.assertRegex(log, r"OpenMP waiting: (GOMP_SPINCOUNT=10000 \(no other running task|"
                              r"OMP_WAIT_POLICY=passive \(\d+ other running task)")

    def test_the_restarted_run_has_the_variable_for_libgomp(self):
        # /proc/<pid>/environ is the environment the running program image started with: after
        # the restart (same pid) it holds the variable libgomp read.
        f = write(os.path.join(self.tmp, "slow.yaml"), "name: slow\ntask: selftest\nselftest: {sleep_s: 30}\n")
        p = subprocess.Popen([QHARNESS, "run", f], cwd=self.tmp, env=base_env(QHARNESS_OMP_WAIT="passive"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            environ = b""
            deadline = time.time() + 60
            while time.time() < deadline and b"OMP_WAIT_POLICY=passive" not in environ:
                time.sleep(0.2)
                with open(f"/proc/{p.pid}/environ", "rb") as e:
                    environ = e.read()
            self.assertIn(b"OMP_WAIT_POLICY=passive", environ.split(b"\0"))
        finally:
            p.kill()
            p.wait()


if __name__ == "__main__":
    unittest.main()
