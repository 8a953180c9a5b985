"""Fixtures of the workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data_dir shared by the tests that run the real analyzer: its linear models
    train once (~15 s) and are then loaded from <data_dir>/models."""
    return tmp_path_factory.mktemp("shared-data")
