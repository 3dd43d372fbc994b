"""bench/bench_peer.py measures only answers that agree: both servers return the same data for each pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.bench_peer import OURS, PAIRS, PEER, PeerServer, Tally, Target, check_pairs, session_client, window
from bench.loadgen import saturated
from tests.emulator.process import EmulatorProcess
from tests.fixtures.gunicorn import TEST_API_KEY, gunicorn_with_emulator

pytestmark = pytest.mark.slow  # three servers start: about 6 s
Servers = tuple[EmulatorProcess, dict[str, Target]]


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Our gateway (as shipped) and gitea-mcp 0.5.1 (`make peer`) in front of one emulator."""
    with (gunicorn_with_emulator(Path(tmp_path_factory.mktemp("peer"))) as (server, emulator),
          PeerServer(emulator.base_url, emulator.token("alice")).start() as peer):
        assert server.process and peer.process
        yield emulator, {
            OURS: Target(f"{server.url}/mcp", {"Authorization": f"Bearer {TEST_API_KEY}"}, server.process.pid),
            PEER: Target(peer.url, {}, peer.process.pid),
        }


def test_every_pair_returns_the_same_data_from_both_servers(targets: Servers) -> None:
    emulator, servers = targets
    upstream = check_pairs(servers, emulator)
    assert set(upstream) == {pair.label for pair in PAIRS}
    assert upstream["one issue"] == {OURS: 1.0, PEER: 2.0}  # the peer's get_issue also fetches the comments


def test_a_window_times_only_successful_calls_and_counts_server_cpu(targets: Servers) -> None:
    _, servers = targets
    for name, target in servers.items():
        tally = Tally()
        window(session_client(target, *PAIRS[3].side(name)), 2, 0.3, target.pid, tally)
        assert len(tally.samples) > 2 and tally.throughput > 0 and tally.cpu > 0, name
        assert tally.failures == 0, name


def test_a_failing_call_is_counted_and_not_timed() -> None:
    calls = iter(range(10**6))

    def every_other_fails() -> None:
        if next(calls) % 2:
            raise ConnectionResetError("dropped")

    samples, elapsed, failures = saturated([every_other_fails], 0.05)
    assert failures > 0 and abs(len(samples) - failures) <= 1 and elapsed >= 0.05
