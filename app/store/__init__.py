"""Shared state: a memory backend for one process, Redis for many."""

from __future__ import annotations

from flask import Flask

from app.store.base import Store, StoreUnavailable, Subscription

__all__ = ["EXTENSION", "Store", "StoreUnavailable", "Subscription", "create_store", "init_app"]
EXTENSION = "aegis.store"


def create_store(redis_url: str | None, *, timeout: float = 2.0, max_connections: int = 64) -> Store:
    """Return the Redis store when a URL is configured, else the in-process store."""
    if redis_url:
        from app.store.redis import RedisStore  # the redis client loads only when used

        return RedisStore(redis_url, timeout=timeout, max_connections=max_connections)
    from app.store.memory import MemoryStore

    return MemoryStore()


def init_app(app: Flask) -> Store:
    """One store per worker: sessions, the SSE bus, rate limits and caches share it."""
    store = create_store(app.config["SETTINGS"].redis_url)
    app.extensions[EXTENSION] = store
    return store
