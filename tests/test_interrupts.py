"""Interrupting orgsim loses nothing and leaves nothing behind: Ctrl-C stops at once with one
line (and how to resume a sweep), and pool workers die with a main process that is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, needs

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path("/proc/self/status").exists(), reason="reads child processes from /proc (Linux)"
    ),
]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:  # gone meanwhile
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if "\nState:\tZ" not in state:  # a zombie has exited already
            alive.append(pid)
    return alive


def _sweep(out: Path, backend: str = "local") -> subprocess.Popen:
    """A sweep on two workers, long enough to be interrupted while its workers run, in its
    own process group (as a terminal runs a command)."""
    command = [sys.executable, "-m", "orgsim", "sweep", "scenarios/smb_velocity.yaml"]
    command += ["--param", "org.roles.sdr.headcount=3,4,5,6", "--reps", "4"]
    command += ["--workers", "2", "--out", str(out), "--backend", backend]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # a shell starts background jobs with Ctrl-C ignored; a user's terminal does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 or not (out / "points").is_dir():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)
    time.sleep(1.0)  # the workers are inside replications now
    return process


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pids)


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_ctrl_c_stops_at_once_says_how_to_resume_and_the_resume_finishes(backend, tmp_path):
    if backend == "dask":
        needs("distributed")
    process = _sweep(tmp_path / "sweep", backend)
    workers = _children(process.pid)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches every process of the command
    _, err = process.communicate(timeout=10)  # about 0.5 s local, 1.3 s Dask on 2 cores
    assert process.returncode == 130, err
    assert err.startswith("interrupted; finish it with: orgsim sweep"), err
    assert len(err.splitlines()) == 1, err  # no worker's traceback or warning
    assert _gone_within(workers, 5)
    if backend == "dask":
        return  # resuming is the same on both backends (test_sweep checks the tables agree)
    command = err.strip().split("finish it with: orgsim ", 1)[1].split()
    done = subprocess.run(
        [sys.executable, "-m", "orgsim", *command, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)  # every point, variant and replication, once
    keys = {(r["org.roles.sdr.headcount"], r["variant"], r["replication"]) for r in rows}
    assert len(rows) == len(keys) == 4 * 3 * 4


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_a_killed_main_process(how, tmp_path):
    process = _sweep(tmp_path / "sweep")
    workers = _children(process.pid)
    process.send_signal(how)
    process.communicate(timeout=10)
    assert _gone_within(workers, 5), f"workers {_alive(workers)} outlived the main process"
