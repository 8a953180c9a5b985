"""config.yaml validation: every mistake is named by key path and line, all at once."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from core.config import Narrative
from core.errors import ConfigError, ConfigIssue
from core.loading import load_settings, parse_settings
from tests.conftest import OFFICE_CONFIG

ROOT = Path(__file__).resolve().parents[1]
# Mistakes are made in the tests' own office config, so an office editing the
# shipped config.yaml never breaks them; the shipped file is only checked to validate.
CONFIG_TEXT = OFFICE_CONFIG.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The last line holding `needle` (the duplicate, where there are two)."""
    lines = list(enumerate(text.splitlines(), start=1))
    found = [n for n, line in lines if line.strip() == needle.strip()]
    found = found or [n for n, line in lines if needle in line]
    assert found, f"{needle!r} not in text"
    return found[-1]


def issues_for(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, origin="broken.yaml")
    return caught.value.issues


def test_project_config_is_valid() -> None:
    settings = load_settings(ROOT / "config.yaml")
    assert len(settings.sources) >= 15
    assert {s.origin for s in settings.sources} == {"domestic", "foreign"}
    assert {s.language for s in settings.sources} == {"vi", "en"}
    assert {"feed", "site"} <= {s.kind for s in settings.sources}
    sensitive = {t.id for t in settings.topics if t.sensitive}
    assert {
        "sovereignty",
        "border",
        "seas-islands",
        "ethnic",
        "religion",
        "human-rights",
    } <= sensitive
    names = {n for place in settings.watch.all_places() for n in place.names}
    assert {"Quảng Bình", "Quang Binh", "Quangbinh", "Đồng Hới", "Sơn Đoòng", "Cha Lo"} <= names
    assert settings.watch.merger is not None and settings.watch.merger.into == "Quảng Trị"
    assert settings.schedules.timezone == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    ("old", "new", "path", "needle", "message"),
    [
        (
            "  autothrottle: false",
            "  autothrottle: false\n  autothrotle: 1",
            "crawl.autothrotle",
            "autothrotle",
            "unknown key",
        ),
        (
            "  concurrency_per_domain: 1",
            "  concurrency_per_domain: many",
            "crawl.concurrency_per_domain",
            "concurrency_per_domain: many",
            "valid integer",
        ),
        (
            '  digest: "0 7 * * *"',
            '  digest: "0 25 * * *"',
            "schedules.digest",
            '"0 25 * * *"',
            "cron",
        ),
        (
            "https://tuoitre.vn/rss/thoi-su.rss",
            "htps//tuoitre.vn/rss",
            "sources.2.feeds.0",
            "htps//tuoitre.vn/rss",
            "http(s) URL",
        ),
        (
            "  - id: bbc-vietnamese\n",
            "  - id: tuoitre\n",
            "sources.3.id",
            "- id: tuoitre",
            "duplicate id",
        ),
        (
            "  timezone: Asia/Ho_Chi_Minh\n  process",
            "  timezone: Asia/Saigonn\n  process",
            "schedules.timezone",
            "Asia/Saigonn",
            "unknown timezone",
        ),
        (
            "topics: [investment, sovereignty]",
            "topics: [investment, weather]",
            "narratives.0.topics.1",
            "topics: [investment, weather]",
            "unknown topic",
        ),
    ],
)
def test_each_mistake_names_path_and_line(
    old: str, new: str, path: str, needle: str, message: str
) -> None:
    assert old in CONFIG_TEXT
    broken = CONFIG_TEXT.replace(old, new, 1)
    issues = issues_for(broken)
    matching = [issue for issue in issues if issue.path == path]
    assert matching, issues
    assert message in matching[0].message
    assert matching[0].line == line_of(broken, needle.rstrip("\n"))


def test_all_errors_reported_at_once() -> None:
    broken = (
        CONFIG_TEXT.replace("  autothrottle: false", "  autothrottle: false\n  bogus: 1", 1)
        .replace('  digest: "0 7 * * *"', '  digest: "nope"', 1)
        .replace("  - id: bbc-vietnamese\n", "  - id: tuoitre\n", 1)
    )
    paths = {issue.path for issue in issues_for(broken)}
    assert {"crawl.bogus", "schedules.digest", "sources.3.id"} <= paths


def test_duplicate_yaml_key_is_an_error() -> None:
    broken = CONFIG_TEXT.replace("  retries: 1", "  retries: 1\n  retries: 5", 1)
    issues = issues_for(broken)
    assert any(i.path == "crawl.retries" and "duplicate key" in i.message for i in issues)


def test_syntax_error_names_line() -> None:
    issues = issues_for("profile:\n  id: x\n  name: [unclosed\n")
    assert issues[0].path == "(syntax)" and issues[0].line is not None


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        load_settings(tmp_path / "missing.yaml")


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(ROOT / "config.yaml")
    assert settings.database_url.startswith("sqlite:///")
    monkeypatch.setenv("PRESSWATCH_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/y")
    assert settings.database_url == "postgresql+psycopg://x@127.0.0.1/y"


def test_secrets_are_named_not_stored() -> None:
    settings = load_settings(ROOT / "config.yaml")
    assert settings.smtp.password_env == "PRESSWATCH_SMTP_PASSWORD"
    telegram = [c for c in settings.alerts.channels if c.kind == "telegram"]
    assert telegram and telegram[0].token_env and not hasattr(telegram[0], "token")


OLD_STATEMENT = (
    '    statement_vi: "Sân bay Đồng Hới đã bị bán cho một tập đoàn nước ngoài"\n'
    '    statement_en: "Dong Hoi airport has been sold to a foreign conglomerate"\n'
)


def test_old_one_string_statement_still_loads_with_a_deprecation_warning() -> None:
    assert OLD_STATEMENT in CONFIG_TEXT
    old = CONFIG_TEXT.replace(
        OLD_STATEMENT,
        '    statement: "Sân bay Đồng Hới đã bị bán cho một tập đoàn nước ngoài'
        ' / Dong Hoi airport has been sold to a foreign conglomerate"\n',
        1,
    )
    with pytest.warns(FutureWarning, match=r"airport-sold-abroad.*statement_vi"):
        settings = parse_settings(old)
    narrative = settings.narratives[0]
    assert narrative.statement_vi == "Sân bay Đồng Hới đã bị bán cho một tập đoàn nước ngoài"
    assert narrative.statement_en == "Dong Hoi airport has been sold to a foreign conglomerate"
    assert settings.narratives == load_settings(OFFICE_CONFIG).narratives


def test_statement_in_both_forms_at_once_is_an_error() -> None:
    both = CONFIG_TEXT.replace(OLD_STATEMENT, OLD_STATEMENT + '    statement: "a / b"\n', 1)
    issues = issues_for(both)
    assert any(i.path == "narratives.0" and "not also statement" in i.message for i in issues)


def test_narrative_statements_round_trip_and_fall_back() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the project config is current
        settings = load_settings(ROOT / "config.yaml")
    for narrative in settings.narratives:
        assert narrative.statement_vi and narrative.statement_en, narrative.id
        assert " / " not in narrative.statement_vi + narrative.statement_en
        again = Narrative.model_validate(narrative.model_dump())
        assert again == narrative
        assert again.statement_for("vi") == narrative.statement_vi
        assert again.statement_for("en") == narrative.statement_en
    only_vi = Narrative(id="x", statement_vi="Chỉ tiếng Việt", examples_vi=["a"], examples_en=["b"])
    assert only_vi.statement_en == "" and only_vi.statement_for("en") == "Chỉ tiếng Việt"
    only_en = Narrative(
        id="y", statement_vi="", statement_en="English only", examples_vi=["a"], examples_en=["b"]
    )
    assert only_en.statement_for("vi") == "English only"
