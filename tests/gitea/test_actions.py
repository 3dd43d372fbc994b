"""The job log stream: bounded, and an early stop hands the connection back to the pool."""

from __future__ import annotations

from app.gitea import BoundGiteaClient, GiteaClient
from app.tools.job_logs import log_lines, read_window
from tests.gitea.conftest import EmulatorControl

BUILD_JOB = 5  # the seeded ~300 KB build log of acme/service-a


def test_a_log_read_stops_at_its_limit(alice: BoundGiteaClient) -> None:
    assert sum(len(chunk) for chunk in alice.job_log_chunks("acme", "service-a", BUILD_JOB, 100_000)) == 100_000


def test_early_stopped_log_reads_reuse_one_connection(alice: BoundGiteaClient, control: EmulatorControl,
                                                      gitea: GiteaClient) -> None:
    for _ in range(10):
        chunks = alice.job_log_chunks("acme", "service-a", BUILD_JOB, 1 << 25)
        assert len(read_window(log_lines(chunks), 1, 20, 20_000).lines) == 20
        chunks.close()
        assert gitea.drains.wait_idle(2.0)
    stats = control.stats()
    assert stats["requests"] == 10 and stats["connections"] <= 2
