"""The scheduled periodic report: written once per period and, when `report.send`
is on, mailed once to `report.recipients` with the DOCX and the PDF attached,
through the digest's SMTP settings.

Bookkeeping is the digest's (storage.reports.periodic_state): a period's row is
recorded when both files are written and marked sent after the server accepted
the mail, so a rerun writes and sends nothing new; a kill between the two steps
resends once, with the same Message-ID (as the digest and email alerts do).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.alerts import channels
from pipeline.i18n import strings
from pipeline.reports.periodic import build_report
from pipeline.reports.periodic_layout import period_name
from storage.reports import mark_periodic_sent, periodic_state, record_periodic

if TYPE_CHECKING:
    from core.config import Settings
    from pipeline.reports.periods import Period
    from storage.db import Database

logger = logging.getLogger(__name__)
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def send_report(settings: Settings, period: Period, docx: Path, pdf: Path, language: str) -> None:
    words = strings(language)
    name = period_name(period, words)
    message = channels.new_email(
        settings,
        settings.report.recipients,
        f"{words['periodic_report']} · {settings.profile.name} · {name}",
    )
    message["Message-ID"] = channels.message_id(f"report:{period.key}:{language}")
    message.set_content(words["periodic_mail_body"].format(period=name))
    message.add_attachment(
        docx.read_bytes(), maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=docx.name
    )
    message.add_attachment(
        pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name
    )
    channels.smtp_send(settings, message)


def scheduled_report(
    settings: Settings, database: Database, period: Period, *, now: dt.datetime | None = None
) -> str:
    """Write the report of `period` unless recorded, then mail it unless sent."""
    language = settings.report.language
    with database.session() as session:
        state = periodic_state(session, period.kind, period.first_day, language)
    if state is not None and (state[2] or not settings.report.send):
        return f"report {period.key}: already done"
    if state is not None and Path(state[0]).exists() and Path(state[1]).exists():
        docx, pdf = Path(state[0]), Path(state[1])
    else:  # not written yet, or its files were removed before it could be mailed
        result = build_report(settings, database, period, language=language, now=now)
        docx, pdf = result.docx_path, result.pdf_path
        with database.session() as session:
            record_periodic(session, period.kind, period.first_day, language, str(docx), str(pdf))
    if not settings.report.send:
        return f"report {period.key}: {docx}, {pdf}"
    if not settings.report.recipients:
        raise channels.DeliveryError("report.send is on but report.recipients is empty")
    send_report(settings, period, docx, pdf, language)
    with database.session() as session:
        mark_periodic_sent(session, period.kind, period.first_day, language)
    logger.info(
        "periodic report %s mailed to %s", period.key, ", ".join(settings.report.recipients)
    )
    return f"report {period.key}: {docx}, {pdf} (sent)"
