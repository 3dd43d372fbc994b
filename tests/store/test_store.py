"""Behaviour of both store backends: same tests, memory and a real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from app.store import Store, Subscription

T = TypeVar("T")


def test_missing_key_reads_as_none(store: Store, key: str) -> None:
    assert store.get(key) is None


def test_value_written_by_one_handle_is_read_by_another(store: Store, peer: Store, key: str) -> None:
    store.set(key, b"first")
    store.set(key, b"second")
    assert peer.get(key) == b"second"


def test_value_with_ttl_expires(store: Store, key: str) -> None:
    store.set(key, b"v", ttl=0.5)
    assert store.get(key) == b"v"
    time.sleep(0.8)
    assert store.get(key) is None


def test_non_positive_ttl_is_refused(store: Store, key: str) -> None:
    with pytest.raises(ValueError):
        store.set(key, b"v", ttl=0)


def test_set_if_absent_stores_only_once(store: Store, peer: Store, key: str) -> None:
    assert store.set_if_absent(key, b"a") is True
    assert peer.set_if_absent(key, b"b") is False
    assert store.get(key) == b"a"


def test_set_if_absent_succeeds_again_after_expiry(store: Store, key: str) -> None:
    assert store.set_if_absent(key, b"a", ttl=0.3) is True
    time.sleep(0.6)
    assert store.set_if_absent(key, b"b", ttl=0.3) is True


def test_exactly_one_of_eight_threads_wins_set_if_absent(store: Store, key: str) -> None:
    results = run_in_threads(8, lambda i: store.set_if_absent(key, str(i).encode()))
    assert results.count(True) == 1
    assert results.count(False) == 7


def test_delete_reports_whether_key_existed(store: Store, key: str) -> None:
    store.set(key, b"v")
    assert store.delete(key) is True
    assert store.delete(key) is False
    assert store.get(key) is None


def test_incr_from_eight_threads_loses_no_update(store: Store, peer: Store, key: str) -> None:
    def bump(_: int) -> None:
        for _ in range(200):
            store.incr(key)

    run_in_threads(8, bump)
    assert peer.incr(key, amount=0) == 1600
    assert peer.get(key) == b"1600"


def test_incr_returns_running_total_with_amount(store: Store, key: str) -> None:
    assert store.incr(key, amount=5) == 5
    assert store.incr(key, amount=-2) == 3


def test_incr_ttl_is_a_fixed_window_not_extended_by_later_calls(store: Store, key: str) -> None:
    assert store.incr(key, ttl=1.0) == 1
    time.sleep(0.7)
    assert store.incr(key, ttl=1.0) == 2
    time.sleep(0.7)
    assert store.get(key) is None  # a sliding TTL would still hold the key
    assert store.incr(key, ttl=1.0) == 1


def test_set_membership(store: Store, peer: Store, key: str) -> None:
    assert store.sadd(key, b"s1") is True
    assert store.sadd(key, b"s1") is False
    assert peer.sismember(key, b"s1") is True
    assert peer.sismember(key, b"s2") is False
    assert peer.srem(key, b"s1") is True
    assert store.srem(key, b"s1") is False
    assert store.sismember(key, b"s1") is False


def test_set_with_ttl_expires(store: Store, key: str) -> None:
    store.sadd(key, b"gone", ttl=0.3)
    time.sleep(0.6)
    assert store.sismember(key, b"gone") is False


def test_subscriber_receives_messages_in_order(store: Store, peer: Store) -> None:
    with store.subscribe("chan-order") as sub:
        for n in range(20):
            assert peer.publish("chan-order", f"m{n}".encode()) == 1
        received = [sub.get(timeout=2) for _ in range(20)]
    assert received == [f"m{n}".encode() for n in range(20)]


def test_get_without_message_returns_none_after_timeout(store: Store) -> None:
    with store.subscribe("chan-quiet") as sub:
        assert sub.get(timeout=0.2) is None


def test_messages_go_to_every_subscriber_of_the_channel_only(store: Store, peer: Store) -> None:
    with store.subscribe("chan-a") as a1, peer.subscribe("chan-a") as a2, store.subscribe("chan-b") as b:
        assert store.publish("chan-a", b"hello") == 2
        assert a1.get(timeout=2) == b"hello"
        assert a2.get(timeout=2) == b"hello"
        assert b.get(timeout=0.2) is None


def test_closed_subscription_receives_nothing(store: Store, peer: Store) -> None:
    sub = store.subscribe("chan-closed")
    sub.close()
    assert peer.publish("chan-closed", b"late") == 0
    assert sub.closed is True
    assert sub.get(timeout=0.1) is None


def test_iterating_a_subscription_ends_when_closed(store: Store, peer: Store) -> None:
    sub = store.subscribe("chan-iter")
    received: list[bytes] = []

    def consume() -> None:
        for message in sub:
            received.append(message)
            if len(received) == 2:
                sub.close()

    reader = threading.Thread(target=consume)
    reader.start()
    peer.publish("chan-iter", b"one")
    peer.publish("chan-iter", b"two")
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert received == [b"one", b"two"]


def test_subscription_is_a_subscription(store: Store) -> None:
    with store.subscribe("chan-type") as sub:
        assert isinstance(sub, Subscription)


def test_ping_answers_when_backend_is_up(store: Store) -> None:
    assert store.ping() is None  # no exception: the backend answered (a down Redis raises StoreUnavailable)


def test_storage_uri_is_accepted_by_flask_limiter(store: Store, store_url: str | None) -> None:
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    assert store.storage_uri() == (store_url or "memory://")
    limiter = FixedWindowRateLimiter(storage_from_string(store.storage_uri()))
    item = parse("2/minute")
    assert [limiter.hit(item, "store-test") for _ in range(3)] == [True, True, False]
    limiter.clear(item, "store-test")


def run_in_threads(count: int, work: Callable[[int], T]) -> list[T | None]:
    """Run work(i) on `count` threads started together; return the results."""
    results: list[T | None] = [None] * count
    gate = threading.Barrier(count)

    def run(i: int) -> None:
        gate.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_push_and_pop_form_a_queue_shared_by_handles(store: Store, peer: Store, key: str) -> None:
    assert store.push(key, b"a") == 1
    assert store.push(key, b"b") == 2
    assert peer.pop(key) == b"a"
    assert store.pop(key) == b"b"
    assert store.pop(key) is None


def test_each_queued_entry_is_popped_by_exactly_one_thread(store: Store, key: str) -> None:
    for i in range(20):
        store.push(key, str(i).encode())
    popped = [v for batch in run_in_threads(8, lambda i: [store.pop(key) for _ in range(5)]) for v in batch if v]
    assert sorted(popped, key=int) == [str(i).encode() for i in range(20)]


def test_capped_push_keeps_the_newest_and_items_lists_newest_first(store: Store, key: str) -> None:
    for i in range(5):
        store.push(key, str(i).encode(), keep=3)
    assert store.items(key, 10) == [b"4", b"3", b"2"]
    assert store.items(key, 2) == [b"4", b"3"]


def test_expire_and_delete_if_equal_act_only_for_the_holder(store: Store, peer: Store, key: str) -> None:
    assert store.set_if_absent(key, b"me", ttl=0.5)
    assert peer.expire_if_equal(key, b"other", 5) is False
    assert peer.delete_if_equal(key, b"other") is False
    assert store.expire_if_equal(key, b"me", 5) is True
    time.sleep(0.8)
    assert store.get(key) == b"me"  # renewed past its first TTL
    assert store.delete_if_equal(key, b"me") is True
    assert store.get(key) is None


def test_hash_fields_set_by_two_handles_are_all_kept(store: Store, peer: Store, key: str) -> None:
    store.hset(key, "acme/secret", b"private")
    peer.hset(key, "acme/docs", b"public")
    store.hset(key, "acme/secret", b"private-again")
    assert peer.hgetall(key) == {"acme/secret": b"private-again", "acme/docs": b"public"}
    assert store.hgetall(f"{key}-absent") == {}


def test_hash_fields_from_eight_threads_lose_no_field(store: Store, key: str) -> None:
    run_in_threads(8, lambda i: store.hset(key, f"field-{i}", b"v", ttl=30))
    assert sorted(store.hgetall(key)) == [f"field-{i}" for i in range(8)]


def test_hash_expires_with_the_ttl_of_its_last_write(store: Store, key: str) -> None:
    store.hset(key, "a", b"1", ttl=0.4)
    time.sleep(0.25)
    store.hset(key, "b", b"2", ttl=0.4)
    time.sleep(0.25)
    assert sorted(store.hgetall(key)) == ["a", "b"]
    time.sleep(0.4)
    assert store.hgetall(key) == {}


def test_leases_hold_at_most_the_limit_and_a_released_place_comes_back(store: Store, peer: Store, key: str) -> None:
    assert store.lease(key, b"a", 2, ttl=30) and peer.lease(key, b"b", 2, ttl=30)
    assert store.lease(key, b"c", 2, ttl=30) is False  # counted across processes (peer) alike
    assert store.lease(key, b"a", 2, ttl=30) is True  # renewing a held place needs no new one
    peer.release(key, b"b")
    assert store.lease(key, b"c", 2, ttl=30) is True


def test_a_lease_not_renewed_frees_its_place_when_it_expires(store: Store, key: str) -> None:
    assert store.lease(key, b"vanished", 1, ttl=0.3)
    assert store.lease(key, b"next", 1, ttl=30) is False
    time.sleep(0.6)
    assert store.lease(key, b"next", 1, ttl=30) is True


def test_releasing_a_place_never_held_changes_nothing(store: Store, key: str) -> None:
    store.release(key, b"stranger")
    assert store.lease(key, b"a", 1, ttl=30) and store.lease(key, b"b", 1, ttl=30) is False


def test_lease_many_renews_held_places_retakes_lapsed_ones_and_refuses_past_the_limit(
    store: Store, peer: Store, key: str
) -> None:
    other = key + ":other"
    assert store.lease(key, b"kept", 2, ttl=0.4) and store.lease(other, b"lapsing", 1, ttl=0.3)
    time.sleep(0.5)  # both lapsed; a stranger takes `other`'s only place meanwhile
    assert peer.lease(other, b"stranger", 1, ttl=30)
    claims = [(key, b"kept", 2), (other, b"lapsing", 1), (key, b"new", 2), (key, b"third", 2)]
    assert store.lease_many(claims, ttl=30) == [True, False, True, False]  # in order, counted as they come
    time.sleep(0.5)
    assert store.lease(key, b"late", 2, ttl=30) is False  # the renewals outlived the first TTL
    assert store.lease_many([], ttl=30) == []


def test_expire_many_extends_existing_keys_and_recreates_none(store: Store, key: str) -> None:
    kept, deleted = key + ":kept", key + ":deleted"
    store.set(kept, b"1", ttl=0.4)
    store.set(deleted, b"1", ttl=0.4)
    store.delete(deleted)
    store.expire_many([kept, deleted], ttl=30)
    time.sleep(0.6)
    assert store.get(kept) == b"1" and store.get(deleted) is None
