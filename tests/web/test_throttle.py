"""Login throttling per client address and per (address, name), counted in the
database: an attack on a name neither locks its owner out nor goes unslowed, and
trying many names from one client is slowed as well. Every refusal is logged."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.config import Settings
from pipeline.web.app import create_app
from pipeline.web.deps import WebState
from pipeline.web.throttle import LoginThrottle
from storage.db import Database
from storage.users import AttemptCounts
from tests.web.conftest import SECRET, with_test_host
from tests.web.seed import PASSWORD, USERS, csrf_from

ATTACKER = "203.0.113.9"
OFFICE = "10.0.0.7"


@contextmanager
def client_at(app: FastAPI, address: str) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, client=(address, 40000)) as client:
        yield client


def attempt(client: TestClient, username: str, password: str) -> int:
    token = csrf_from(client.get("/app/login").text)
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/app/login", data=form).status_code


def test_an_attack_on_a_name_slows_the_attacker_not_the_owner(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    name = USERS["admin"]
    with client_at(app, ATTACKER) as attacker:
        codes = [attempt(attacker, name, "guess guess") for _ in range(10)]
        assert codes[:5] == [401] * 5 and 429 in codes[5:]
        with caplog.at_level(logging.WARNING, logger="pipeline.web.throttle"):
            refused = attacker.post(
                "/app/login",
                data={
                    "username": name,
                    "password": PASSWORD,
                    "csrf_token": csrf_from(attacker.get("/app/login").text),
                },
            )
        # Even the right password from the attacking client waits its turn.
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "Quá nhiều lần đăng nhập sai" in refused.text
        assert any(
            ATTACKER in r.getMessage() and "refused" in r.getMessage() for r in caplog.records
        )
    with client_at(app, OFFICE) as owner:
        assert attempt(owner, name, PASSWORD) == 303  # the owner is not locked out


def test_a_known_client_is_slowed_not_refused(app: FastAPI) -> None:
    web = app.state.web
    assert isinstance(web, WebState)
    web.throttle.known_wait = 0.01  # the production 2 s, made short for the test
    name = USERS["analyst"]
    with client_at(app, OFFICE) as owner:
        assert attempt(owner, name, PASSWORD) == 303  # this address is now known for the name
    with client_at(app, OFFICE) as colleague:  # same office NAT, guessing
        codes = [attempt(colleague, name, "guess guess") for _ in range(12)]
        assert 429 not in codes and set(codes) == {401}
    with client_at(app, OFFICE) as owner:
        assert attempt(owner, name, PASSWORD) == 303


def test_many_names_from_one_client_are_slowed(app: FastAPI) -> None:
    with client_at(app, ATTACKER) as attacker:
        codes = [attempt(attacker, f"user{i}", "guess guess") for i in range(15)]
    assert codes[:10] == [401] * 10 and 429 in codes[10:]
    with client_at(app, OFFICE) as other:
        assert attempt(other, "user99", "guess guess") == 401  # another client is not slowed


def test_counters_are_shared_by_every_server_process(
    app: FastAPI, settings: Settings, database: Database
) -> None:
    # Built first: on a loaded machine building an app outlasts the 2 s the sixth failure earns.
    second = create_app(with_test_host(settings), database, SECRET)  # another worker
    with client_at(app, ATTACKER) as attacker:
        for _ in range(6):
            attempt(attacker, USERS["viewer"], "guess guess")
    with client_at(second, ATTACKER) as attacker:
        assert attempt(attacker, USERS["viewer"], "guess guess") == 429


def _counts(pair: int, address: int, ago: float, known: bool = False) -> AttemptCounts:
    last = NOW - dt.timedelta(seconds=ago)
    return AttemptCounts(address, last, pair, last, known)


NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def test_waits_double_and_are_capped() -> None:
    throttle = LoginThrottle(pair_free=5, address_free=10, max_wait=300)
    assert throttle.judge(_counts(4, 4, 0), NOW).refuse_for == 0
    assert throttle.judge(_counts(5, 5, 0), NOW).refuse_for == 1
    assert throttle.judge(_counts(8, 8, 0), NOW).refuse_for == 8
    assert throttle.judge(_counts(8, 8, 9), NOW).refuse_for == 0  # waited long enough
    assert throttle.judge(_counts(40, 40, 0), NOW).refuse_for == 300
    assert throttle.judge(_counts(2, 12, 0), NOW).refuse_for == 4  # by address alone
    known = throttle.judge(_counts(40, 40, 0, known=True), NOW)
    assert known.refuse_for == 0 and known.delay == throttle.known_wait
