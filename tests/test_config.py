"""config.yaml validation: every mistake is named by key path and line, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings, parse_settings
from core.errors import ConfigIssue

ROOT = Path(__file__).resolve().parents[1]
CONFIG_TEXT = (ROOT / "config.yaml").read_text(encoding="utf-8")


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
            "  autothrottle: true",
            "  autothrottle: true\n  autothrotle: 1",
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
            "https://tuoitre.vn/rss/tin-moi-nhat.rss",
            "htps//tuoitre.vn/rss",
            "sources.3.feeds.0",
            "htps//tuoitre.vn/rss",
            "http(s) URL",
        ),
        (
            "  - id: thanhnien\n",
            "  - id: tuoitre\n",
            "sources.4.id",
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
            "topics: [tourism, environment]",
            "topics: [tourism, weather]",
            "narratives.0.topics.1",
            "topics: [tourism, weather]",
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
        CONFIG_TEXT.replace("  autothrottle: true", "  autothrottle: true\n  bogus: 1", 1)
        .replace('  digest: "0 7 * * *"', '  digest: "nope"', 1)
        .replace("  - id: thanhnien\n", "  - id: tuoitre\n", 1)
    )
    paths = {issue.path for issue in issues_for(broken)}
    assert {"crawl.bogus", "schedules.digest", "sources.4.id"} <= paths


def test_duplicate_yaml_key_is_an_error() -> None:
    broken = CONFIG_TEXT.replace("  retries: 3", "  retries: 3\n  retries: 5", 1)
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
