"""The daily digest for analysts: HTML (inline CSS) and plain text, Vietnamese by
default, written to the output folder and, when configured, sent by SMTP.

The digest of day D covers the articles collected on D (local time); the
scheduler writes it at the first digest time after D ends. The HTML file
embeds the stance chart as a data URI; the email carries the same PNG as an
inline (cid:) part, because webmail clients block data-URI images.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.alerts import channels
from pipeline.i18n import strings
from pipeline.reports.charts import stance_chart
from pipeline.reports.digest_data import STANCES, DigestData, collect
from storage.db import Database
from storage.reports import digest_state, mark_digest_sent, record_digest

if TYPE_CHECKING:
    from jinja2 import Environment

    from core.config import Settings

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
CHART_CID = "stance-chart@presswatch"


@dataclass
class DigestResult:
    day: dt.date
    language: str
    html_path: Path
    text_path: Path
    sent: bool
    cases: int
    articles: int


def web_link(url: object) -> str:
    """`url` when it is an http(s) link, else "" (a crawled `javascript:` or `data:`
    link must not reach the file an analyst opens in a browser)."""
    text = str(url or "").strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return text if scheme in ("http", "https") and text[len(scheme) :].startswith("://") else ""


def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,  # a typo in a template fails loudly, not silently blank
        keep_trailing_newline=True,
    )
    environment.filters["web_link"] = web_link
    return environment


def render(settings: Settings, data: DigestData, chart_src: str) -> tuple[str, str]:
    """(html, text) for the collected data; chart_src is a data: or cid: URI."""
    environment = _environment()
    context: dict[str, Any] = {
        "t": strings(data.language),
        "language": data.language,
        "profile": settings.profile.name,
        "day": data.day.isoformat(),
        "metrics": data.metrics,
        "cases": data.cases,
        "topics": data.topics,
        "foreign": data.foreign,
        "rebuttals": data.rebuttals,
        "stance_by_origin": data.stance_by_origin,
        "stances": STANCES,
        "chart_src": chart_src,
    }
    html = environment.get_template("digest.html.j2").render(context)
    text = environment.get_template("digest.txt.j2").render(context)
    return html, text


def _chart_words(language: str) -> dict[str, str]:
    """The chart's words: origins and stances by their bare names, and its title."""
    words = strings(language)
    labels = {origin: words[f"origin_{origin}"] for origin in ("domestic", "foreign")}
    labels |= {label: words[f"stance_{label}"] for label in (*STANCES, "other")}
    labels["stance_by_origin"] = words["stance_by_origin"]
    return labels


def digest_paths(settings: Settings, day: dt.date, language: str) -> tuple[Path, Path]:
    base = Path(settings.digest.output_dir) / f"digest-{day.isoformat()}-{language}"
    return base.with_suffix(".html"), base.with_suffix(".txt")


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)


def _send(settings: Settings, data: DigestData, png: bytes, text: str) -> None:
    html_for_mail, _ = render(settings, data, f"cid:{CHART_CID}")
    words = strings(data.language)
    message = channels.new_email(
        settings,
        settings.digest.recipients,
        f"{words['digest_title']} · {settings.profile.name} · {data.day.isoformat()}",
    )
    message["Message-ID"] = channels.message_id(f"digest:{data.day}:{data.language}")
    message.set_content(text)
    message.add_alternative(html_for_mail, subtype="html")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(png, "image", "png", cid=f"<{CHART_CID}>")
    channels.smtp_send(settings, message)


def build_digest(
    settings: Settings,
    database: Database,
    day: dt.date,
    *,
    language: str | None = None,
    send: bool | None = None,
    resend: bool = False,
) -> DigestResult:
    """Write (or rewrite) the digest of `day`; send it if configured and not yet sent."""
    language = language or settings.digest.language
    data = collect(settings, database, day, language)
    png = stance_chart(data.stance_by_origin, _chart_words(language))
    data_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    html, text = render(settings, data, data_uri)
    html_path, text_path = digest_paths(settings, day, language)
    _write(html_path, html)
    _write(text_path, text)
    with database.session() as session:
        record_digest(session, day, language, str(html_path), str(text_path))
        _, already_sent = digest_state(session, day, language)
    should_send = settings.digest.send if send is None else send
    sent = False
    if should_send and (resend or not already_sent):
        if not settings.digest.recipients:
            raise channels.DeliveryError("digest.send is on but digest.recipients is empty")
        _send(settings, data, png, text)
        with database.session() as session:
            mark_digest_sent(session, day, language)
        sent = True
    articles = next(m.value for m in data.metrics if m.key == "articles_total")
    logger.info("digest %s (%s) -> %s%s", day, language, html_path, " (sent)" if sent else "")
    return DigestResult(day, language, html_path, text_path, sent, len(data.cases), articles)
