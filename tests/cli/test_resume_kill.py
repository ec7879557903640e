"""A sweep killed with SIGKILL at several points and resumed ends with every trial done
exactly once, readable files throughout, and the numbers of an uninterrupted run."""
import os
import signal
import struct
import subprocess
import time
import unittest

import h5py

from common import CliTestCase, QHARNESS, SWEEP_12, base_env, qharness, trials_of, write


class ResumeAfterKill(CliTestCase):
    def test_killed_sweep_resumes_to_the_uninterrupted_result(self):
        yaml = SWEEP_12.format(sleep=0.4)
        ref_dir, run_dir = os.path.join(self.tmp, "ref"), os.path.join(self.tmp, "killed")
        ref_file = write(os.path.join(ref_dir, "sweep.yaml"), yaml)
        run_file = write(os.path.join(run_dir, "sweep.yaml"), yaml)
        self.assert_exit(qharness(["run", ref_file], cwd=ref_dir), 0)
        reference = trials_of(os.path.join(ref_dir, "results/sweep12/sweep12.h5"))
        self.assertEqual(len(reference), 12)

        results = os.path.join(run_dir, "results/sweep12")
        kills = 0
        done_counts = []
        # Kill at different moments: during start-up, between and inside trials.
        for delay in (0.2, 0.9, 1.3, 0.7, 1.6, 1.1):
            proc = subprocess.Popen([QHARNESS, "run", run_file], cwd=run_dir, env=base_env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            # Every file left behind opens, whatever moment the kill hit.
            for root, _, files in os.walk(results):
                for name in files:
                    if name.endswith(".h5"):
                        with h5py.File(os.path.join(root, name), "r") as f:
                            self.assertIn("trials", f)
            trial_dir = os.path.join(results, "trials")
            done_counts.append(len([n for n in os.listdir(trial_dir) if n.endswith(".h5")])
                               if os.path.isdir(trial_dir) else 0)
        self.assertGreaterEqual(kills, 4, "the sweep finished before it could be interrupted")
        self.assertLess(done_counts[0], 12)
        self.assertEqual(sorted(done_counts), done_counts, "a resumed run lost finished trials")

        final = qharness(["run", run_file], cwd=run_dir)
        self.assert_exit(final, 0)
        resumed = trials_of(os.path.join(results, "sweep12.h5"))
        self.assertEqual(sorted(resumed), sorted(reference))
        for tid, ref in reference.items():
            got = resumed[tid]
            self.assertEqual(got["status"], "done")
            self.assertEqual(got["metrics"], ref["metrics"], tid)
            self.assertEqual(got["arrays"]["x_star"].tolist(), ref["arrays"]["x_star"].tolist(), tid)
        # Done exactly once: one group per trial, one summary row per trial, and a further run
        # has nothing left to do.
        with h5py.File(os.path.join(results, "sweep12.h5"), "r") as f:
            ids = [r.decode() for r in f["summary"]["trial_id"]]
            self.assertEqual(sorted(ids), sorted(reference))
            self.assertEqual(len(ids), len(set(ids)))
        again = qharness(["run", run_file], cwd=run_dir)
        self.assert_exit(again, 0)
        self.assertIn("12 already done, running 0", again.stderr)

    def test_a_bit_flipped_in_a_trials_data_is_caught_and_that_trial_rerun(self):
        f = write(os.path.join(self.tmp, "sweep.yaml"), SWEEP_12.format(sleep=0))
        self.assert_exit(qharness(["run", f], cwd=self.tmp), 0)
        results = os.path.join(self.tmp, "results/sweep12")
        reference = trials_of(os.path.join(results, "sweep12.h5"))
        tid = sorted(reference)[5]
        trial_file = os.path.join(results, "trials", tid + ".h5")

        def flip_x_star(path):
            # HDF5 checksums metadata, not a dataset's raw data: a bit flipped there reads back.
            x0 = struct.pack("<d", reference[tid]["arrays"]["x_star"][0])
            with open(path, "rb") as fh:
                data = bytearray(fh.read())
            at = data.find(x0)
            self.assertGreaterEqual(at, 0)
            data[at] ^= 1
            with open(path, "wb") as fh:
                fh.write(data)

        # Damaged in the trial file, and no other copy: that trial runs again.
        flip_x_star(trial_file)
        os.remove(os.path.join(results, "sweep12.h5"))
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn(f"warning: ignoring damaged trial {tid} in results/sweep12/trials/{tid}.h5", p.stderr)
        self.assertIn("does not match its checksum", p.stderr)
        self.assertIn("11 already done, running 1", p.stderr)
        resumed = trials_of(os.path.join(results, "sweep12.h5"))
        self.assertEqual(resumed[tid]["arrays"]["x_star"].tolist(), reference[tid]["arrays"]["x_star"].tolist())

        # Damaged in the experiment file: the trial file's copy serves, nothing reruns.
        flip_x_star(os.path.join(results, "sweep12.h5"))
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn(f"warning: ignoring damaged trial {tid} in results/sweep12/sweep12.h5", p.stderr)
        self.assertIn("12 already done, running 0", p.stderr)
        again = trials_of(os.path.join(results, "sweep12.h5"))
        self.assertEqual({t: r["metrics"] for t, r in again.items()}, {t: r["metrics"] for t, r in reference.items()})


if __name__ == "__main__":
    unittest.main()
