"""Fixtures for the web tests: a seeded database, the app, logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.config import Settings
from pipeline.web import passwords
from pipeline.web.app import create_app
from storage.db import Database
from tests.web.seed import PASSWORD, USERS, Seeded, csrf_from, seed

SECRET = "test-secret-key-not-for-production"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny costs: same code path, a fraction of the time."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture
def seeded(database: Database, settings: Settings) -> Seeded:
    return seed(database, settings)


def with_test_host(settings: Settings) -> Settings:
    """`settings` whose web.allowed_hosts also admits TestClient's "testserver"."""
    web = settings.web.model_copy(
        update={"allowed_hosts": [*settings.web.allowed_hosts, "testserver"]}
    )
    return settings.model_copy(update={"web": web})


@pytest.fixture
def app(settings: Settings, database: Database, seeded: Seeded) -> FastAPI:
    return create_app(with_test_host(settings), database, SECRET)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/app/login")
    token = csrf_from(page.text)
    response = client.post(
        "/app/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/app/"


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """client_for("analyst") -> a TestClient logged in with that role."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        log_in(client, USERS[role])
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def token(client: TestClient, page: str = "/app/account") -> str:
    return csrf_from(client.get(page).text)
