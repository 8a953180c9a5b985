"""Settings of the scheduled periodic report (`report:` in config.yaml): its language
and who receives it by email. Its cron strings are `schedules.report_weekly` and
`schedules.report_monthly`; the mail server is `smtp:`, shared with the digest.

A module of its own because core/config.py is at its size limit; it imports nothing
of ours, so core.config can import it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class PeriodicReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # as core.config.Strict

    language: Literal["vi", "en"] = "vi"
    # Mail the DOCX and PDF to `recipients` once per period when scheduled.
    send: bool = False
    recipients: list[str] = []
