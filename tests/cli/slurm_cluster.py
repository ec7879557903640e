"""A throwaway single-node Slurm cluster on localhost, for tests: Debian's slurm-wlm and munge,
every file (munge key and socket, slurm.conf, state, spool, logs) in one temporary folder,
slurmctld, slurmd and munged in the foreground as children of this process, on free ports,
and everything stopped again by stop() (jobs cancelled first).

    reason = SlurmCluster.unavailable()    # None, or why no cluster can run here
    with SlurmCluster(folder) as cluster:  # started; stopped on leaving, also on failure
        subprocess.run(["sbatch", ...], env=cluster.env(base_env))
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from debian_packages import apt_install

# The Debian packages that provide the daemons and the client commands.
PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
PROGRAMS = ["slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo", "munged"]

# Job states after which a job does not run again (squeue(1), "JOB STATE CODES").
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                "BOOT_FAIL", "DEADLINE", "PREEMPTED", "REVOKED", "SPECIAL_EXIT"}


def _missing_programs():
    return [p for p in PROGRAMS if not shutil.which(p, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    @staticmethod
    def unavailable():
        """None when a cluster can be started here (installing the packages if they are missing
        and we are root), else the reason it cannot."""
        if not _missing_programs():
            return None if os.geteuid() == 0 else "slurmd must run as root to start jobs, and this test is not root"
        if os.geteuid() != 0:
            return (f"Slurm is not installed ({', '.join(_missing_programs())} missing) and only root can "
                    f"install it: apt-get install {' '.join(PACKAGES)}")
        if not shutil.which("apt-get"):
            return "Slurm is not installed and there is no apt-get to install it with"
        why = apt_install(PACKAGES, timeout=240)
        if why:
            return f"Slurm could not be installed: {why}"
        missing = _missing_programs()
        return f"after installing {' '.join(PACKAGES)}, still missing: {', '.join(missing)}" if missing else None

    def __init__(self, folder):
        self.dir = os.path.abspath(folder)
        self.conf = os.path.join(self.dir, "slurm.conf")
        self.munge_socket = os.path.join(self.dir, "munge", "munge.socket")
        self._procs = []  # (name, Popen)

    # ---- environment for client commands (sbatch, squeue, ...) ----
    def env(self, base=None):
        env = dict(base if base is not None else os.environ)
        env["SLURM_CONF"] = self.conf
        env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
        for k in [k for k in env if k.startswith("SLURM_") and k != "SLURM_CONF"]:
            del env[k]  # a job of an outer cluster must not leak into this one
        return env

    def command(self, args, check=True, timeout=30):
        p = subprocess.run(args, env=self.env(), capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr}{p.stdout}\n{self.logs()}")
        return p.stdout

    # ---- start / stop ----
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _spawn(self, name, args):
        log = open(os.path.join(self.dir, f"{name}.stdout"), "w")
        # Own session: a Ctrl-C of the test does not reach them, stop() ends them and their children.
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env(), start_new_session=True)
        log.close()
        self._procs.append((name, p))
        return p

    def start(self):
        for sub in ("munge", "state", "spool", "log"):
            os.makedirs(os.path.join(self.dir, sub), mode=0o700, exist_ok=True)
        key = os.path.join(self.dir, "munge", "munge.key")
        with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(os.urandom(1024))  # what `mungekey --create` writes: random bytes
        # --force: the temporary folder lies under /tmp, which is world-writable (sticky), and
        # munged refuses such paths without it.
        self._spawn("munged", ["munged", "--foreground", "--force", f"--key-file={key}",
                               f"--socket={self.munge_socket}",
                               f"--pid-file={os.path.join(self.dir, 'munge', 'munged.pid')}",
                               f"--seed-file={os.path.join(self.dir, 'munge', 'munged.seed')}",
                               f"--log-file={os.path.join(self.dir, 'log', 'munged.log')}"])
        self._wait(lambda: os.path.exists(self.munge_socket), 10, "munged to open its socket")

        # This machine's cores and memory, as slurmd sees them ("NodeName=vm CPUs=2 ... RealMemory=24105").
        node_line = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True,
                                   env=self.env()).stdout.splitlines()[0]
        node_name = re.match(r"NodeName=(\S+)", node_line).group(1)
        self.node_name = node_name
        with open(self.conf, "w") as f:
            f.write(self._slurm_conf(node_line, node_name))
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", self.conf])
        self._spawn("slurmd", ["slurmd", "-D", "-N", node_name, "-f", self.conf])

        def node_idle():
            self._check_alive()
            p = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env(), capture_output=True, text=True)
            return p.returncode == 0 and p.stdout.strip() == "idle"
        self._wait(node_idle, 60, "the node to become idle")

    def _slurm_conf(self, node_line, node_name):
        d = self.dir
        return f"""\
# Generated by tests/cli/slurm_cluster.py: one node, everything under {d}
ClusterName=qhtest
SlurmctldHost={node_name}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
# No cgroups (containers rarely delegate them): track processes by their parent pid.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour (there is no accounting database).
MinJobAge=3600
KillWait=5
InactiveLimit=0
{node_line} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=qhtest Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""

    def stop(self):
        """Cancels every job, waits for them to end, then stops slurmd, slurmctld and munged."""
        if any(name == "slurmctld" and p.poll() is None for name, p in self._procs):
            try:
                subprocess.run(["scancel", "--full", "--quiet", "--partition=qhtest"], env=self.env(),
                               capture_output=True, timeout=10)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    p = subprocess.run(["squeue", "-h", "-o", "%i"], env=self.env(), capture_output=True,
                                       text=True, timeout=10)
                    if p.returncode != 0 or not p.stdout.strip():
                        break
                    time.sleep(0.3)
            except (subprocess.SubprocessError, OSError):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            for n, p in self._procs:
                if n != name or p.poll() is not None:
                    continue
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        self._procs = []

    # ---- helpers ----
    def _check_alive(self):
        for name, p in self._procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with status {p.returncode}\n{self.logs()}")

    def _wait(self, ready, timeout, what):
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}\n{self.logs()}")
            time.sleep(0.2)

    def logs(self):
        """The daemons' logs (their ends), for failure messages."""
        out = []
        for folder in (self.dir, os.path.join(self.dir, "log")):
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                if name.endswith((".log", ".stdout")):
                    with open(os.path.join(folder, name), errors="replace") as f:
                        out.append(f"--- {name} ---\n" + "".join(f.readlines()[-25:]))
        return "\n".join(out)

    def job_states(self, job_id):
        """{job id: (state, exit code)} of a job, or of every task of an array job ("12_0": ...)."""
        text = self.command(["scontrol", "-o", "show", "job", str(job_id)])
        states = {}
        for line in text.splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            jid = fields["JobId"]
            if fields.get("ArrayTaskId"):
                jid = f"{fields['ArrayJobId']}_{fields['ArrayTaskId']}"
            states[jid] = (fields["JobState"], fields.get("ExitCode", ""))
        return states

    def wait_for_jobs(self, job_ids, timeout):
        """Waits until every job (every task of an array) is in a final state; returns their states."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            states = {}
            for j in job_ids:
                states.update(self.job_states(j))
            if states and all(s in FINAL_STATES for s, _ in states.values()):
                return states
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs {job_ids} still not finished after {timeout}s: {states}\n{self.logs()}")
            time.sleep(0.3)
