"""Hot reload of the policy file: a changed valid file replaces the policy, an invalid one is refused."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import Counter

from app.policy.engine import Policy, PolicyError

POLICY_RELOADS = Counter("aegis_policy_reload_total", "Policy file reload attempts by result", ["result"])


@dataclass(frozen=True)
class PolicyReloadEvent:
    """What happened when the policy file changed: result is 'reloaded' or 'refused'."""

    result: str
    path: str
    errors: tuple[str, ...] = ()


FileKey = tuple[int, int, int, int]


def file_key(path: str) -> FileKey | None:
    """Identify a file version by device, inode, size and mtime (None when missing)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


class PolicyStore:
    """Hold the current policy and re-read its file when it changes (at most once per interval)."""

    def __init__(
        self,
        path: str | None,
        on_event: Callable[[PolicyReloadEvent], None] | None = None,
        check_interval: float = 1.0,
        known_tools: Iterable[str] | None = None,
    ) -> None:
        self.path = path
        self.on_event = on_event
        self.check_interval = check_interval
        self.known_tools = frozenset(known_tools) if known_tools is not None else None
        self._lock = threading.Lock()
        self._next_check = time.monotonic() + check_interval
        self._key = file_key(path) if path else None
        self._policy = Policy.load(path, self.known_tools) if path else Policy.default()

    def current(self) -> Policy:
        """Return the policy to decide with, reloading first if the file changed."""
        if self.path and time.monotonic() >= self._next_check and self._lock.acquire(blocking=False):
            try:
                self._next_check = time.monotonic() + self.check_interval
                self._reload_if_changed(self.path)
            finally:
                self._lock.release()
        return self._policy

    def _reload_if_changed(self, path: str) -> None:
        key = file_key(path)
        if key == self._key:
            return
        self._key = key
        try:
            policy = Policy.load(path, self.known_tools)
        except PolicyError as exc:
            self._report(PolicyReloadEvent("refused", path, tuple(exc.errors)))
            return
        self._policy = policy
        self._report(PolicyReloadEvent("reloaded", path))

    def _report(self, event: PolicyReloadEvent) -> None:
        POLICY_RELOADS.labels(event.result).inc()
        if self.on_event is not None:
            self.on_event(event)
