from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import Settings
from nlp.analyzer import Analyzer
from nlp.registry import build_analyzer
from tests.conftest import OFFICE_CONFIG


@pytest.fixture(scope="session")
def nlp_settings(office_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The tests' office config with its own data dir (model cache) for the session."""
    data_dir = tmp_path_factory.mktemp("nlp-data")
    profile = office_settings.profile.model_copy(update={"data_dir": data_dir})
    return office_settings.model_copy(update={"profile": profile})


@pytest.fixture(scope="session")
def analyzer(nlp_settings: Settings) -> Analyzer:
    return build_analyzer(nlp_settings.analysis())


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[[str | None], Path]:
    """Writes the tests' office config into tmp_path (see `write_config`)."""

    def write(database_url: str | None = None) -> Path:
        return write_config(tmp_path, database_url)

    return write


def write_config(tmp_path: Path, database_url: str | None = None) -> Path:
    """The tests' office config with data_dir (and the database) moved into tmp_path."""
    text = OFFICE_CONFIG.read_text(encoding="utf-8")
    text = text.replace("  data_dir: data\n", f"  data_dir: {tmp_path / 'data'}\n", 1)
    if database_url:
        text = text.replace("  url: null\n", f"  url: {database_url}\n", 1)
    text = text.replace("  url_env: PRESSWATCH_DATABASE_URL\n", "  url_env: null\n", 1)
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path
