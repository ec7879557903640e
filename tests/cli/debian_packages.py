"""Installing the Debian packages a test needs, for the tests that bring their own heavy tools
(a Slurm cluster, a browser): apt-get, as root, refreshing the package lists once if needed."""
import os
import subprocess


def apt_install(packages, timeout=600):
    """apt-get installs `packages` (root only). Returns None, or why it could not."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:  # maybe the package lists are stale or absent: refresh once
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, text=True, timeout=120)
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return f"`{' '.join(e.cmd)}` did not finish in {e.timeout:.0f} s (no reachable package archive?)"
    if p.returncode != 0:
        return f"`{' '.join(cmd)}` failed (exit {p.returncode}): {p.stderr.strip()[-400:]}"
    return None
