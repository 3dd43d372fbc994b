"""Injected faults: make chosen requests slow, fail, drop the connection or return broken bodies."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = {"latency", "500", "502", "429", "reset", "truncated", "stalled", "invalid_json"}


@dataclass
class Fault:
    """One armed fault; `times` None means forever; `rate` (0-1) makes it hit that share of matching requests."""

    method: str
    path: str
    kind: str
    latency_ms: int = 0
    retry_after: int | None = None
    times: int | None = None
    rate: float | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Tell whether a request hits this fault (exact path or fnmatch glob)."""
        same_method = self.method in ("*", method.upper())
        return same_method and (self.path == path or fnmatch.fnmatchcase(path, self.path))


class FaultTable:
    """The faults armed through /_emulator/faults, shared by the server and the app."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._chance = random.Random(19)  # seeded: a soak run injects the same faults on the same requests

    def add(self, spec: dict[str, Any]) -> Fault:
        """Arm a fault from its JSON description; raise ValueError on a bad one."""
        if spec.get("kind") not in KINDS or not spec.get("path"):
            raise ValueError(f"fault needs a path and a kind in {sorted(KINDS)}")
        rate = spec.get("rate")
        if rate is not None and not (isinstance(rate, int | float) and 0 < rate <= 1):
            raise ValueError("rate must be a number in (0, 1]")
        fault = Fault(str(spec.get("method", "*")).upper(), spec["path"], spec["kind"],
                      int(spec.get("latency_ms", 0)), spec.get("retry_after"), spec.get("times"), rate)
        with self._lock:
            self._faults.append(fault)
        return fault

    def armed(self) -> list[Fault]:
        """The faults still armed, with how often each hit."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first fault matching a request, using up one of its `times`."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.rate is not None and self._chance.random() >= fault.rate:
                        continue
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
