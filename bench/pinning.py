"""CPU pinning and per-process accounting for load tests on a two-core machine (Linux /proc).

Why pin: with the server, the Gitea emulator and the load generator sharing two cores, a server that
uses more CPU also slows the emulator and the client that measure it. Pinning the server's processes to
one core and the emulator and load generator to the other gives the server a core of its own, the same
for every server compared. `pin` sets the affinity of every thread of every process in a tree: Linux
applies sched_setaffinity to one thread, and threads and processes started later inherit it.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants, read from /proc/<pid>/task/<tid>/children."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text(errors="replace") if (task / "children").exists() else ""
            pending.extend(int(child) for child in children.split())
    return tree


def pin(pid: int, cores: set[int]) -> None:
    """Every thread of every process in pid's tree runs on `cores` only."""
    for process in process_tree(pid):
        for task in Path(f"/proc/{process}/task").glob("*"):
            try:
                os.sched_setaffinity(int(task.name), cores)
            except ProcessLookupError:
                continue  # a thread that ended while we walked


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of pid's tree so far (the server's own work, all its threads)."""
    total = 0
    for process in process_tree(pid):
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def rss_mib(pid: int) -> float:
    """Resident memory of pid's tree in MiB (VmRSS summed; shared pages counted once per process)."""
    total_kib = 0
    for process in process_tree(pid):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def two_cores() -> tuple[set[int], set[int]] | None:
    """(server core, load core) when this process may use two or more cores, else None (no pinning)."""
    cores = sorted(os.sched_getaffinity(0))
    return ({cores[0]}, {cores[1]}) if len(cores) >= 2 else None
