"""The typed configuration: pydantic models for config.yaml and the loader.

Built once at the entry point (the CLI) and passed down; nothing reads the file
at import time. Every problem is reported with its key path and line, all at
once, so an office can fix the file in one pass.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError, ConfigIssue


def _check_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or " " in value:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression {value!r}: {exc}") from None
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression {value!r}: {exc}") from None
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}") from None
    return value


def _check_clock(value: str) -> str:
    try:
        dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a clock time HH:MM: {value!r}") from None
    return value


def _check_env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"not an environment variable name: {value!r}")
    return value


Url = Annotated[str, AfterValidator(_check_url)]
Cron = Annotated[str, AfterValidator(_check_cron)]
Regex = Annotated[str, AfterValidator(_check_regex)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
ClockTime = Annotated[str, AfterValidator(_check_clock)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Language = Literal["vi", "en"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Profile(Strict):
    id: Identifier
    name: str
    timezone: TimeZone = "Asia/Ho_Chi_Minh"
    data_dir: Path = Path("data")


class Database(Strict):
    url: str | None = None
    url_env: EnvName | None = "PRESSWATCH_DATABASE_URL"


class Place(Strict):
    id: Identifier
    kind: Literal[
        "province",
        "merged_province",
        "city",
        "town",
        "district",
        "commune",
        "landmark",
        "border_gate",
        "port",
    ]
    names: list[str] = Field(min_length=1)
    ambiguous: bool = False
    # Words near a mention that confirm this place (needed when ambiguous).
    context: list[str] = []
    # Words near a mention that mean something else (a person, another province).
    conflicts: list[str] = []


class Merger(Strict):
    date: dt.date
    into: str
    note: str = ""


class Watch(Strict):
    place: Place
    merger: Merger | None = None
    places: list[Place] = []

    def all_places(self) -> list[Place]:
        return [self.place, *self.places]


class Crawl(Strict):
    user_agent: str
    contact: str
    obey_robots: bool = True
    download_delay_seconds: float = Field(2.0, ge=0)
    concurrency_per_domain: int = Field(1, ge=1, le=16)
    autothrottle: bool = True
    timeout_seconds: float = Field(30, gt=0)
    retries: int = Field(3, ge=0, le=10)
    max_page_bytes: int = Field(5_000_000, gt=1000)
    max_articles_per_run: int = Field(500, ge=1)
    max_age_days: int = Field(14, ge=1)


class Source(Strict):
    id: Identifier
    name: str
    kind: Literal["feed", "site"]
    language: Language
    origin: Literal["domestic", "foreign"]
    reach: int = Field(3, ge=1, le=5)
    feeds: list[Url] = []
    start_urls: list[Url] = []
    article_patterns: list[Regex] = []
    sitemaps: list[Url] = []
    max_depth: int = Field(1, ge=0, le=10)
    interval_minutes: int = Field(60, ge=1)
    enabled: bool = True
    # Per-source politeness overrides; None keeps the crawl-wide value.
    download_delay_seconds: float | None = Field(None, ge=0)
    concurrency_per_domain: int | None = Field(None, ge=1, le=16)


class Topic(Strict):
    id: Identifier
    label_vi: str
    label_en: str
    sensitive: bool = False
    keywords_vi: list[str] = []
    keywords_en: list[str] = []


class Narrative(Strict):
    id: Identifier
    statement: str
    topics: list[Identifier] = []
    examples_vi: list[str] = Field(min_length=1)
    examples_en: list[str] = Field(min_length=1)


class TransformersSettings(Strict):
    stance_model: str | None = None
    tone_model: str | None = None
    nli_model: str | None = None
    embedding_model: str | None = None
    batch_size: int = Field(16, ge=1, le=512)
    max_length: int = Field(256, ge=8, le=4096)
    segment_input: bool = False


class Thresholds(Strict):
    flag: float = Field(0.55, ge=0, le=1)
    narrative_similarity: float = Field(0.35, ge=0, le=1)
    topic_score: float = Field(0.5, ge=0, le=1)


class Nlp(Strict):
    backend: Literal["embedded", "transformers"] = "embedded"
    transformers: TransformersSettings = TransformersSettings()
    thresholds: Thresholds = Thresholds()


class Schedules(Strict):
    timezone: TimeZone = "Asia/Ho_Chi_Minh"
    process: Cron = "*/15 * * * *"
    alerts: Cron = "*/5 * * * *"
    digest: Cron = "0 7 * * *"
    export: Cron = "0 8 * * mon"


class QuietHours(Strict):
    start: ClockTime
    end: ClockTime


class AlertRule(Strict):
    id: Identifier
    kind: Literal["case_score", "sensitive_foreign", "volume_spike"]
    min_score: float = Field(0.75, ge=0, le=1)
    factor: float = Field(3.0, gt=1)
    min_articles: int = Field(5, ge=1)
    window_days: int = Field(7, ge=1)
    topics: list[Identifier] = []
    urgent: bool = False
    channels: list[Identifier] = Field(min_length=1)


class Channel(Strict):
    id: Identifier
    kind: Literal["email", "webhook", "telegram"]
    to: list[str] = []
    url: Url | None = None
    token_env: EnvName | None = None
    chat_id: str | None = None
    # Telegram Bot API base; tests and self-hosted Bot API servers override it.
    api_url: Url = "https://api.telegram.org"
    enabled: bool = True


class Alerts(Strict):
    rate_limit_per_hour: int = Field(20, ge=1)
    quiet_hours: QuietHours | None = None
    rules: list[AlertRule] = []
    channels: list[Channel] = []


class Smtp(Strict):
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    username: str | None = None
    password_env: EnvName | None = None
    sender: str = "presswatch@localhost"
    starttls: bool = False


class Digest(Strict):
    language: Language = "vi"
    output_dir: Path = Path("data/digests")
    send: bool = False
    recipients: list[str] = []


class Export(Strict):
    output_dir: Path = Path("data/exports")


class Web(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key_env: EnvName = "PRESSWATCH_SECRET_KEY"


class Settings(Strict):
    profile: Profile
    database: Database = Database()
    watch: Watch
    crawl: Crawl
    sources: list[Source] = []
    topics: list[Topic] = []
    narratives: list[Narrative] = []
    nlp: Nlp = Nlp()
    schedules: Schedules = Schedules()
    alerts: Alerts = Alerts()
    smtp: Smtp = Smtp()
    digest: Digest = Digest()
    export: Export = Export()
    web: Web = Web()

    # Where this configuration was read from; relative paths resolve against cwd.
    path: Path | None = Field(None, exclude=True)

    @property
    def data_dir(self) -> Path:
        return self.profile.data_dir

    @property
    def database_url(self) -> str:
        if self.database.url_env and os.environ.get(self.database.url_env):
            return os.environ[self.database.url_env]
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'presswatch.db').as_posix()}"

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)


def secret(env_name: str | None) -> str | None:
    """The value of a secret whose environment variable the config names."""
    return os.environ.get(env_name) if env_name else None


# --- loading --------------------------------------------------------------------------

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class _LineIndex:
    """Maps key paths (("sources", 3, "id")) to the 1-based line they start on."""

    lines: dict[KeyPath, int]

    def line_of(self, path: KeyPath) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: KeyPath) -> Iterator[tuple[KeyPath, int, yaml.Node]]:
    yield path, node.start_mark.line + 1, node
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            yield (*path, key), key_node.start_mark.line + 1, value_node
            for sub in _walk(value_node, (*path, key)):
                if sub[0] != (*path, key):
                    yield sub
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index))


def _duplicate_keys(node: yaml.Node, path: KeyPath) -> Iterator[ConfigIssue]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield ConfigIssue(
                    ".".join(map(str, (*path, key))),
                    key_node.start_mark.line + 1,
                    "duplicate key (the later value would silently win)",
                )
            seen.add(key)
            yield from _duplicate_keys(value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _cross_checks(data: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Rules pydantic cannot see field by field: unique ids and references."""
    for section in ("sources", "topics", "narratives"):
        yield from _unique_ids(data.get(section), (section,))
    place_items = (data.get("watch") or {}).get("places")
    yield from _unique_ids(place_items, ("watch", "places"))
    alerts = data.get("alerts") or {}
    yield from _unique_ids(alerts.get("rules"), ("alerts", "rules"))
    yield from _unique_ids(alerts.get("channels"), ("alerts", "channels"))

    topic_ids = {t.get("id") for t in _dicts(data.get("topics"))}
    for index, narrative in enumerate(_dicts(data.get("narratives"))):
        for position, topic in enumerate(narrative.get("topics") or []):
            if topic not in topic_ids:
                yield ("narratives", index, "topics", position), f"unknown topic {topic!r}"
    channel_ids = {c.get("id") for c in _dicts(alerts.get("channels"))}
    for index, rule in enumerate(_dicts(alerts.get("rules"))):
        for position, channel in enumerate(rule.get("channels") or []):
            if channel not in channel_ids:
                path = ("alerts", "rules", index, "channels", position)
                yield path, f"unknown channel {channel!r}"
        for position, topic in enumerate(rule.get("topics") or []):
            if topic not in topic_ids:
                yield ("alerts", "rules", index, "topics", position), f"unknown topic {topic!r}"
    for index, source in enumerate(_dicts(data.get("sources"))):
        if source.get("kind") == "feed" and not source.get("feeds"):
            yield ("sources", index, "feeds"), "a feed source needs at least one feed URL"
        if source.get("kind") == "site" and not (
            source.get("start_urls") or source.get("sitemaps")
        ):
            yield ("sources", index, "start_urls"), "a site source needs start_urls or sitemaps"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return (
        [item if isinstance(item, dict) else {} for item in value]
        if isinstance(value, list)
        else []
    )


def _unique_ids(items: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    seen: dict[Any, int] = {}
    for index, item in enumerate(_dicts(items)):
        item_id = item.get("id")
        if item_id is None:
            continue
        if item_id in seen:
            yield (*path, index, "id"), f"duplicate id {item_id!r} (first at item {seen[item_id]})"
        else:
            seen[item_id] = index


def parse_settings(text: str, origin: str = "<config>") -> Settings:
    """Validate YAML text; raise ConfigError listing every problem with path and line."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(origin, [ConfigIssue("(syntax)", line, str(exc))]) from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise ConfigError(origin, [ConfigIssue("(top level)", 1, "the file must hold a mapping")])
    index = _LineIndex({path: line for path, line, _ in _walk(root, ())})
    data = yaml.safe_load(text)

    issues = list(_duplicate_keys(root, ()))
    for path, message in _cross_checks(data):
        issues.append(ConfigIssue(_dotted(path), index.line_of(path), message))
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_validator_tag(part))
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            issues.append(ConfigIssue(_dotted(loc), index.line_of(loc), message))
    if issues or settings is None:
        issues.sort(key=lambda issue: (issue.line or 0, issue.path))
        raise ConfigError(origin, issues)
    return settings


def _is_validator_tag(part: str | int) -> bool:
    # pydantic puts validator names such as "function-after[...]" into error locations.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


DEFAULT_CONFIG_NAME = "config.yaml"


def bundled_config_path() -> Path:
    """The starter config shipped with presswatch: the repository's config.yaml,
    which a wheel build copies into this package (see setup.py)."""
    packaged = Path(__file__).with_name("default_config.yaml")
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[1] / DEFAULT_CONFIG_NAME


def resolve_config_path(explicit: Path | None) -> Path:
    """--config, else $PRESSWATCH_CONFIG, else ./config.yaml, else the bundled default."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get("PRESSWATCH_CONFIG")
    if from_env:
        return Path(from_env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else bundled_config_path()


def load_settings(path: Path) -> Settings:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), [ConfigIssue("(file)", None, exc.strerror or str(exc))]
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [ConfigIssue("(file)", None, f"not UTF-8: {exc}")]) from None
    settings = parse_settings(text, origin=str(path))
    return settings.model_copy(update={"path": path})
