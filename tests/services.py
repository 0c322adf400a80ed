"""The machine's Redis and PostgreSQL for tests that need them (scale-out).

Where it is missing these tests skip with the reason; in CI (CI set) they
fail instead, so a CI machine without it cannot pass by skipping them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis

# Database 15 of the machine's Redis: out of the way of an installation's 0.
REDIS_URL = os.environ.get("BAITHAK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# The PostgreSQL server to make throw-away databases on (trust auth here).
POSTGRES_URL = os.environ.get(
    "BAITHAK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres"
)


def unavailable(reason: str) -> None:
    """Skip the test with `reason`, or fail it in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: this test must run)")
    pytest.skip(reason)


def redis_client() -> redis.Redis:
    """Return a client of the test Redis, or skip/fail if it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis at {REDIS_URL} ({exc}); set BAITHAK_TEST_REDIS_URL")
    return client


@contextmanager
def redis_prefix() -> Iterator[str]:
    """Yield a BAITHAK_REDIS_PREFIX no other test uses; delete its keys after."""
    client = redis_client()
    prefix = f"baithak-test-{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database; yield its URL; drop it after (its
    connections closed first). Skips, or fails in CI, without a server."""
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        unavailable(f"no PostgreSQL at {POSTGRES_URL} ({exc}); "
                    "set BAITHAK_TEST_POSTGRES_URL")  # fmt: skip
    name = f"baithak_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _, _ = POSTGRES_URL.rpartition("/")
            yield f"{base}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
