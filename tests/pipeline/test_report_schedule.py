"""The periodic report on its schedule: written once per period and mailed once
with the DOCX and the PDF attached, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt

from core.config import Settings
from core.report_settings import PeriodicReport
from pipeline.run import stages
from pipeline.run.scheduler import job_specs
from storage import web_queries
from storage.db import Database
from tests.pipeline.periodic_seed import seed_month
from tests.pipeline.servers import smtp_server

# Tuesday 1 December 2026, 08:00 in Hà Nội: past Monday's weekly time (week 48 is
# owed) and the 1st's monthly time (November is owed).
NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _scheduled(settings: Settings, port: int) -> Settings:
    schedules = settings.schedules.model_copy(
        update={"report_weekly": "30 7 * * mon", "report_monthly": "30 7 1 * *"}
    )
    return settings.model_copy(
        update={
            "schedules": schedules,
            "smtp": settings.smtp.model_copy(update={"port": port}),
            "report": PeriodicReport(send=True, recipients=["lanhdao@example.test"]),
        }
    )


def test_due_periods(settings: Settings) -> None:
    configured = _scheduled(settings, 25)
    week = stages.due_report_period(configured, "week", NOW)
    month = stages.due_report_period(configured, "month", NOW)
    assert week is not None and week.key == "2026-W48"
    assert month is not None and month.key == "2026-11"
    # Before the 1st's 07:30 local, the month owed is still October.
    early = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
    owed = stages.due_report_period(configured, "month", early)
    assert owed is not None and owed.key == "2026-10"
    assert stages.due_report_period(settings, "week", NOW) is None  # not configured: off
    assert {"report:week", "report:month"} <= set(job_specs(configured))
    assert not {"report:week", "report:month"} & set(job_specs(settings))


def test_scheduled_report_is_written_and_mailed_once(
    database: Database, settings: Settings
) -> None:
    seed_month(database, settings.sources)
    with smtp_server() as (port, mails):
        configured = _scheduled(settings, port)
        first = stages.report_if_due(configured, database, NOW)
        assert first.count("(sent)") == 2, first
        assert len(mails) == 2
        # A rerun (the next job, or a restart: the state is in the database) sends nothing.
        again = stages.report_if_due(configured, database, NOW + dt.timedelta(hours=1))
        assert again == "report 2026-W48: already done; report 2026-11: already done"
        assert len(mails) == 2
    by_period = {str(mail["Subject"]).rsplit("·", 1)[-1].strip(): mail for mail in mails}
    assert len(by_period) == 2
    for mail in mails:
        assert mail["To"] == "lanhdao@example.test"
        assert "Báo cáo tổng hợp dư luận báo chí" in str(mail["Subject"])
        attachments = list(mail.iter_attachments())
        types = [part.get_content_type() for part in attachments]
        assert types == [DOCX, "application/pdf"]
        names = [part.get_filename() for part in attachments]
        assert all(name and name.startswith("bao-cao-2026-") for name in names)
        docx, pdf = (part.get_content() for part in attachments)
        assert docx.startswith(b"PK") and pdf.startswith(b"%PDF")
    keys = sorted(str(next(mail.iter_attachments()).get_filename()) for mail in mails)
    assert keys == ["bao-cao-2026-11.docx", "bao-cao-2026-W48.docx"]
    # The files are the office's report files, and the digests list does not show them.
    assert (settings.data_dir / "reports" / "bao-cao-2026-11.pdf").exists()
    with database.read_session() as session:
        assert web_queries.list_digests(session) == []


def test_without_send_the_report_is_only_written(database: Database, settings: Settings) -> None:
    with smtp_server() as (port, mails):
        configured = _scheduled(settings, port)
        configured = configured.model_copy(update={"report": PeriodicReport(send=False)})
        first = stages.report_if_due(configured, database, NOW, kinds=("week",))
        assert first.startswith("report 2026-W48:") and "(sent)" not in first
        assert stages.report_if_due(configured, database, NOW, kinds=("week",)).endswith(
            "already done"
        )
    assert mails == []
