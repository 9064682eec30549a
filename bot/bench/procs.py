"""Processes the bench starts: their memory (from /proc) and timed runs with peak RSS."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in (PROC / str(pid) / "task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return found


def rss_mib(pid: int) -> float:
    """Return the resident memory of ``pid`` and its descendants, in MiB (0 if gone)."""
    total_kib = 0
    pending = [pid]
    seen: set[int] = set()
    while pending and len(seen) < 1000:  # bounded: a process tree, not a fork bomb
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            status = (PROC / str(current) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
        pending += _children(current)
    return total_kib / 1024


@dataclass(frozen=True)
class TimedRun:
    """How a command ended, how long it took and its peak resident memory."""

    returncode: int
    wall_s: float
    peak_rss_mib: float


def timed_run(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> TimedRun:
    """Run ``command`` to its end (killed after ``timeout`` s); measure wall time and peak RSS.

    The peak comes from the kernel's own accounting (``wait4``'s ``ru_maxrss``, KiB
    on Linux) of that process and the children it waited for, as GNU time reports it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.send_signal(signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(status)
    return TimedRun(process.returncode, time.monotonic() - started, usage.ru_maxrss / 1024)
