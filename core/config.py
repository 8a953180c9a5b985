"""The typed configuration: pydantic models for config.yaml (read by core.loading).

Built once at the entry point (the CLI) and passed down; nothing reads it at import time.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.config_types import (
    ClockTime,
    Cron,
    EnvName,
    Identifier,
    Language,
    Regex,
    TimeZone,
    Url,
)
from core.desk_settings import Desk
from core.evidence_settings import EvidenceSettings
from core.recrawl_settings import RecrawlSettings
from core.report_settings import PeriodicReport


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Profile(Strict):
    id: Identifier
    name: str
    timezone: TimeZone = "Asia/Ho_Chi_Minh"
    data_dir: Path = Path("data")
    # The periodic report's header: the issuing office (default: name), the motto lines.
    office_name: str | None = None
    header_lines: list[str] = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]


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
    # Where a context word may confirm an ambiguous name: "near" the mention, or
    # anywhere in the "article" when no conflict is in it either. Use "article" for a
    # name shared with people (a district named alone, its context a sentence
    # away); keep "near" for one shared with another place (the other Quảng Ninh).
    context_scope: Literal["near", "article"] = "near"


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
    # Rendered fetches (sources with `render: fallback`): Chromium processes at once,
    # across all sources, and the time one page may take.
    render_concurrency: int = Field(2, ge=1, le=8)
    render_timeout_seconds: float = Field(30, gt=0)


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
    # Fetched first, in the crawl's cookie session and without following redirects, for
    # outlets whose feeds answer only once a session cookie is set (QĐND: /rss sets it).
    warmup_urls: list[Url] = []
    # "fallback": an article page whose static HTML has no article body is fetched
    # again in the system Chromium (scripts run, only the page's own host reachable)
    # and extracted from the rendered DOM. "never": static HTML only.
    render: Literal["never", "fallback"] = "never"
    max_depth: int = Field(1, ge=0, le=10)
    # Domains (beyond the source's own registered domains) its redirects may lead to.
    redirect_domains: list[str] = []
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
    statement_vi: str
    statement_en: str = ""
    topics: list[Identifier] = []
    examples_vi: list[str] = Field(min_length=1)
    examples_en: list[str] = Field(min_length=1)
    # What the claim is about, as written in text ("Hang Sơn Đoòng", "Son Doong"); empty:
    # derived from the statements. An article must name one of them to match.
    subjects: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _split_old_statement(cls, data: Any) -> Any:
        """The old one-string form, `statement: "vi text / en text"`, still loads."""
        if not isinstance(data, dict) or "statement" not in data:
            return data
        data = dict(data)
        statement = data.pop("statement")
        if "statement_vi" in data or "statement_en" in data:
            raise ValueError("give statement_vi and statement_en, not also statement")
        if not isinstance(statement, str):
            raise ValueError("statement must be a string")
        vi, _, en = statement.partition(" / ")
        data["statement_vi"], data["statement_en"] = vi.strip(), en.strip()
        warnings.warn(
            f'narrative {data.get("id")!r}: `statement: "vi text / en text"` is deprecated;'
            " write the two languages as statement_vi and statement_en",
            FutureWarning,  # shown by default, unlike DeprecationWarning: an office sees it
            stacklevel=2,
        )
        return data

    def statement_for(self, language: str) -> str:
        """The statement in `language`, or in the other language when that one is empty."""
        if language == "en":
            return self.statement_en or self.statement_vi
        return self.statement_vi or self.statement_en


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
    narrative_similarity: float = Field(0.35, ge=0, le=1)  # read by no stage since the verifier
    # P(asserts) a verified sentence needs to count as repeating a narrative, and
    # P(denies) to count as a rebuttal (never below the verifier's own cuts).
    narrative: float = Field(0.5, ge=0, le=1)
    rebuttal: float = Field(0.6, ge=0, le=1)
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
    report_weekly: Cron | None = None  # the periodic report of the week before; None: off
    report_monthly: Cron | None = None  # ... of the month before (see core.report_settings)


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
    # Host names the web app answers to (Host header, port ignored); others get 400.
    # Add the name the office reaches it by, e.g. "presswatch.example.gov.vn".
    allowed_hosts: list[str] = ["localhost", "127.0.0.1"]


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
    report: PeriodicReport = PeriodicReport()
    desk: Desk = Desk()
    web: Web = Web()
    evidence: EvidenceSettings = EvidenceSettings()
    recrawl: RecrawlSettings = RecrawlSettings()

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

    def analysis(self) -> AnalysisConfig:
        """The sections nlp/ reads; it is handed these, never the whole settings."""
        return AnalysisConfig(
            watch=self.watch,
            topics=self.topics,
            narratives=self.narratives,
            nlp=self.nlp,
            models_dir=self.data_dir / "models",
        )


class AnalysisConfig(Strict):
    """What an analyzer is built from: the watch list, topics, narratives, nlp
    options, and the folder where models trained at first use are cached."""

    watch: Watch
    topics: list[Topic] = []
    narratives: list[Narrative] = []
    nlp: Nlp = Nlp()
    models_dir: Path = Path("data") / "models"


def secret(env_name: str | None) -> str | None:
    """The value of a secret whose environment variable the config names."""
    return os.environ.get(env_name) if env_name else None
