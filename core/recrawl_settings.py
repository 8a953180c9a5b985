"""Settings of recrawl (`recrawl:` in config.yaml, issue 15): when a relevant article
is fetched again to see whether its outlet edited or removed it.

A module of its own because core/config.py is at its size limit; it imports only
core.desk_settings (for the office's duration notation) and core.config_types, so
core.config can import it.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from core.config_types import Cron
from core.desk_settings import Duration


class RecrawlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # as core.config.Strict

    # How long after it was first fetched each relevant article is fetched again.
    after: list[Duration] = Field(
        default_factory=lambda: [dt.timedelta(hours=24), dt.timedelta(days=7)]
    )
    # Also fetch every article of an open case once a day while the case is open.
    open_cases_daily: bool = True
    # The daemon's recrawl job (cron, in schedules.timezone); off with enabled: false.
    enabled: bool = True
    schedule: Cron = "20 * * * *"
    # Refetches per run at most: the rest stays due for the next run.
    max_per_run: int = Field(200, ge=1)
    # A body edit is more than this many changed words (English) or syllables
    # (Vietnamese); below it, a changed page is extraction noise.
    min_changed_tokens: int = Field(3, ge=0)
    # A refetch failing for a passing reason is tried again next run, until this
    # long after it was due.
    give_up_after: Duration = dt.timedelta(days=2)
