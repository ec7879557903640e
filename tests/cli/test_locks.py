"""Two runs of one experiment at once: the second exits 2 naming the holder, unless it runs
another shard of the same count; stale locks (their process gone, or another host's whose
heartbeat stopped) are taken over with a note; temporary files are removed as soon as their
writer is gone."""
import os
import socket
import subprocess
import time
import unittest

from common import QHARNESS, SWEEP_12, CliTestCase, base_env, qharness, write

# Trial 0 sleeps for a minute (the test kills it once done with it), trial 1 not at all: shard
# 0/2 holds its lock while shard 1/2 runs beside it.
SLOW = """\
name: slow
task: selftest
sweep:
  grid:
    selftest.sleep_s: [60, 0]
"""


def this_host():
    # As the driver records it: characters outside [A-Za-z0-9._-] become '_'.
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in socket.gethostname())


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def dead_pid():
    """A pid that no process has now: a child that has exited and been reaped."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def write_lock(path, host, pid, scope, since_ns=1, process_start=1, mtime=None):
    write(path, f"host={host}\npid={pid}\nboot_id={boot_id()}\nprocess_start={process_start}\n"
                f"since=2026-01-01T00:00:00Z\nsince_ns={since_ns}\nscope={scope}\ncommand=run\n")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


class Locks(CliTestCase):
    def start_slow(self, *extra):
        f = write(os.path.join(self.tmp, "slow.yaml"), SLOW)
        proc = subprocess.Popen([QHARNESS, "run", f, *extra], cwd=self.tmp, env=base_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        locks = os.path.join(self.tmp, "results/slow/locks")
        deadline = time.time() + 60
        while not (os.path.isdir(locks) and any(n.endswith(".lock") for n in os.listdir(locks))):
            self.assertIsNone(proc.poll(), "the first run ended before it took its lock")
            self.assertLess(time.time(), deadline, "no lock file appeared")
            time.sleep(0.05)
        return f, proc

    def test_a_second_run_of_the_same_trials_exits_2_naming_the_holder(self):
        f, first = self.start_slow()
        trials = os.path.join(self.tmp, "results/slow/trials")
        for extra in ([], ["--shard", "0/2"], ["--force"]):
            p = qharness(["run", f, *extra], cwd=self.tmp)
            self.assert_exit(p, 2)
            self.assertRegex(p.stderr, rf"results/slow/ is in use by qharness run by pid {first.pid} on host "
                                       rf"{this_host()} since \d{{4}}-\d\d-\d\dT")
            self.assertNotIn("running", p.stderr)   # refused before any trial
        # merge would rewrite the experiment file under the run
        self.assert_exit(qharness(["merge", os.path.join(self.tmp, "results/slow")], cwd=self.tmp), 2)
        self.assertIsNone(first.poll())
        # Killed, the first run leaves its lock behind: the next run takes it over.
        first.kill()
        first.wait()
        self.assertEqual(os.listdir(os.path.join(self.tmp, "results/slow/locks")), ["all.lock"])
        p = qharness(["run", f, "selftest.sleep_s=0"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn(f"note: took over the stale lock of qharness run by pid {first.pid} on host {this_host()}",
                      p.stderr)
        self.assertIn("its process is gone", p.stderr)
        self.assertEqual(os.listdir(os.path.join(self.tmp, "results/slow/locks")), [], "the lock outlived its run")

    def test_shards_of_one_count_run_side_by_side_others_do_not(self):
        f, first = self.start_slow("--shard", "0/2")
        p = qharness(["run", f, "--shard", "1/2"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("running 1", p.stderr)
        for spec in ("0/2", "1/3"):  # the same shard; a count whose shards share trials with 0/2
            p = qharness(["run", f, "--shard", spec], cwd=self.tmp)
            self.assert_exit(p, 2)
            self.assertIn(f"is in use by qharness run (shard-0-of-2) by pid {first.pid}", p.stderr)
        self.assertIsNone(first.poll())

    def test_stale_locks_are_taken_over_with_a_note(self):
        f = write(os.path.join(self.tmp, "sweep.yaml"), SWEEP_12.format(sleep=0))
        locks = os.path.join(self.tmp, "results/sweep12/locks")
        cases = (
            (this_host(), dead_pid(), None, "its process is gone"),
            ("node-17.cluster", 4242, time.time() - 3600, "its heartbeat stopped"),
        )
        for host, pid, mtime, why in cases:
            write_lock(os.path.join(locks, "all.lock"), host, pid, "all", mtime=mtime)
            p = qharness(["run", f, "--force"], cwd=self.tmp)
            self.assert_exit(p, 0)
            self.assertIn(f"note: took over the stale lock of qharness run by pid {pid} on host {host} "
                          f"since 2026-01-01T00:00:00Z: {why}", p.stderr)
            self.assertEqual(os.listdir(locks), [])
        # Another host's lock with a recent heartbeat is live: it cannot be checked, so it holds.
        write_lock(os.path.join(locks, "shard-1-of-3.lock"), "node-17.cluster", 4242, "shard-1-of-3",
                   mtime=time.time())
        p = qharness(["run", f], cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertIn("is in use by qharness run (shard-1-of-3) by pid 4242 on host node-17.cluster", p.stderr)
        self.assertIn("or remove the lock file if that process is gone", p.stderr)

    def test_temporary_files_of_gone_writers_are_removed_at_once(self):
        f = write(os.path.join(self.tmp, "sweep.yaml"), SWEEP_12.format(sleep=0))
        results = os.path.join(self.tmp, "results/sweep12")
        gone = write(os.path.join(results, f"trials/abc.h5.tmp-{this_host()}-{dead_pid()}"), "partial")
        old_format = write(os.path.join(results, "sweep12.h5.tmp-12345"), "partial")
        # A shard of another host, alive (recent heartbeat), writing beside shard 0/2.
        write_lock(os.path.join(results, "locks/shard-1-of-2.lock"), "node-17.cluster", 4242, "shard-1-of-2",
                   mtime=time.time())
        live = write(os.path.join(results, "trials/def.h5.tmp-node-17.cluster-4242"), "being written")
        p = qharness(["run", f, "--shard", "0/2"], cwd=self.tmp)
        self.assert_exit(p, 0)
        self.assertIn("note: removed 2 temporary file(s) left by writers that are gone", p.stderr)
        self.assertFalse(os.path.exists(gone))
        self.assertFalse(os.path.exists(old_format))
        self.assertTrue(os.path.exists(live))


if __name__ == "__main__":
    unittest.main()
