"""A full disk: the run ends with exit 1 and one message naming the file and the errno, no
crash; every file already written stays readable; once space is freed, resume completes the
experiment with the numbers of an unconstrained run.

The disk is a small tmpfs mounted in a private mount namespace (`unshare -m` as root, else
`unshare -rm` in a user namespace): it vanishes with the test's shell, and nothing outside
the test's folder is touched. Where neither works the test skips, saying why (ctest shows it
as skipped, not passed)."""
import glob
import os
import shlex
import subprocess
import unittest

import h5py

from common import QHARNESS, SWEEP_12, CliTestCase, base_env, qharness, trials_of, write

PAGE = 4096   # tmpfs counts whole pages


def unshare_prefix():
    """The command that runs a shell in a private mount namespace, or None."""
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        try:
            p = subprocess.run(prefix + ["sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d"],
                               capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if p.returncode == 0:
            return prefix
    return None


PREFIX = unshare_prefix()
SKIP_REASON = None if PREFIX else "cannot mount a tmpfs in a private mount namespace (unshare -m / -rm)"


def pages(path):
    return -(-os.path.getsize(path) // PAGE)


@unittest.skipIf(SKIP_REASON, f"no tmpfs for the disk-full test: {SKIP_REASON}")
class DiskFull(CliTestCase):
    def setUp(self):
        super().setUp()
        self.yaml = write(os.path.join(self.tmp, "sweep.yaml"), SWEEP_12.format(sleep=0))
        ref = os.path.join(self.tmp, "ref")
        self.assert_exit(qharness(["run", self.yaml, "--results", ref], cwd=self.tmp), 0)
        self.ref_dir = os.path.join(ref, "sweep12")
        self.reference = trials_of(os.path.join(self.ref_dir, "sweep12.h5"))

    def run_full_then_freed(self, size_bytes):
        """Runs the sweep on a tmpfs of `size_bytes`, copies what is there, grows the tmpfs to
        8 MiB and runs it again (resume). Returns ((rc, stderr), (rc, stderr)); the results
        folder as the full disk left it is in <tmp>/full, after the resume in <tmp>/resumed."""
        mnt = os.path.join(self.tmp, "mnt")
        os.makedirs(mnt)
        out = os.path.join(self.tmp, "out")
        os.makedirs(out)
        q = " ".join(shlex.quote(a) for a in (QHARNESS, "run", self.yaml, "--results", f"{mnt}/results"))
        script = f"""
            set -u
            mount -t tmpfs -o size={size_bytes} tmpfs {mnt} || exit 99
            {q} >/dev/null 2>{out}/err1; echo $? > {out}/rc1
            cp -a {mnt}/results {self.tmp}/full
            mount -o remount,size=8m {mnt} || exit 98
            {q} >/dev/null 2>{out}/err2; echo $? > {out}/rc2
            cp -a {mnt}/results {self.tmp}/resumed
        """
        p = subprocess.run(PREFIX + ["sh", "-c", script], cwd=self.tmp, env=base_env(), capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)

        def result(k):
            with open(f"{out}/rc{k}") as rc, open(f"{out}/err{k}") as err:
                return int(rc.read()), err.read()
        return result(1), result(2)

    def assert_clean_failure(self, rc, err, failed_file_regex):
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"error: .*cannot write '" + failed_file_regex + r"'.*"
                              r"No space left on device \(errno 28, ENOSPC\)")
        for crash in ("Segmentation", "infinite loop", "H5Dclose failed", "HDF5-DIAG"):
            self.assertNotIn(crash, err)
        full = os.path.join(self.tmp, "full/sweep12")
        self.assertEqual(glob.glob(os.path.join(full, "**/*.tmp-*"), recursive=True), [], "temporary files left")
        for path in glob.glob(os.path.join(full, "**/*.h5"), recursive=True):
            with h5py.File(path, "r") as f:   # nothing written before is damaged
                self.assertIn("trials", f)

    def assert_resumed_to_reference(self, rc, err):
        self.assertEqual(rc, 0, err)
        resumed = trials_of(os.path.join(self.tmp, "resumed/sweep12/sweep12.h5"))
        self.assertEqual(sorted(resumed), sorted(self.reference))
        for tid, ref in self.reference.items():
            self.assertEqual(resumed[tid]["status"], "done")
            self.assertEqual(resumed[tid]["metrics"], ref["metrics"], tid)

    def test_a_trial_file_that_does_not_fit(self):
        # Room for a few of the 12 trial files.
        trial_pages = pages(glob.glob(os.path.join(self.ref_dir, "trials/*.h5"))[0])
        size = (pages(os.path.join(self.ref_dir, "resolved.yaml")) + 1 + 4 * trial_pages) * PAGE
        (rc1, err1), (rc2, err2) = self.run_full_then_freed(size)
        self.assert_clean_failure(rc1, err1, r".*/trials/[0-9a-f]{12}\.h5")
        done = glob.glob(os.path.join(self.tmp, "full/sweep12/trials/*.h5"))
        self.assertTrue(1 <= len(done) < 12, done)
        for path in done:   # the trials that fitted are kept, done
            (t,) = trials_of(path).values()
            self.assertEqual(t["status"], "done")
        self.assert_resumed_to_reference(rc2, err2)
        self.assertIn(f"{len(done)} already done", err2)

    def test_the_experiment_file_that_does_not_fit(self):
        # Room for every trial file, not for the consolidated copy of them all.
        trials = sum(pages(p) for p in glob.glob(os.path.join(self.ref_dir, "trials/*.h5")))
        experiment = pages(os.path.join(self.ref_dir, "sweep12.h5"))
        size = (pages(os.path.join(self.ref_dir, "resolved.yaml")) + 1 + trials + experiment // 2) * PAGE
        (rc1, err1), (rc2, err2) = self.run_full_then_freed(size)
        self.assert_clean_failure(rc1, err1, r".*/sweep12/sweep12\.h5")
        self.assertEqual(len(glob.glob(os.path.join(self.tmp, "full/sweep12/trials/*.h5"))), 12)
        self.assert_resumed_to_reference(rc2, err2)
        self.assertIn("12 already done, running 0", err2)


if __name__ == "__main__":
    unittest.main()
