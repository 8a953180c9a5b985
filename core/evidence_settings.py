"""Settings of evidence capture (`evidence:` in config.yaml): whether each article of a
newly opened case is screenshotted at flag time, and which Chromium renders it.

A module of its own because core/config.py is at its size limit; it imports nothing
of ours, so core.config can import it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EvidenceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # as core.config.Strict

    # Render a PNG and a PDF of each flagged article's stored snapshot when its case
    # opens (skipped, with one logged line, when `chromium` is not found).
    screenshots_at_flag: bool = True
    # The Chromium executable: a name looked up on PATH, or a path.
    chromium: str = "chromium"
    # How long one page may take to render before it is given up.
    render_timeout_seconds: float = Field(60.0, gt=0)
    # Viewport width and height of the screenshot, in CSS pixels.
    window_width: int = Field(1280, ge=320, le=4096)
    window_height: int = Field(2000, ge=320, le=16384)
