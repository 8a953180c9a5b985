"""The settings a running daemon's jobs use, re-read from config.yaml when it changed.

Narratives are edited in the web app and written back into the file (see
core.config_edit), so a daemon started last week must pick them up: before each
job, the file is stat'ed (inode, mtime, size: cheap) and, if that changed and its
SHA-256 too, loaded again with the loader `config check` uses. An invalid file is
logged and the jobs keep the previous settings, so a bad hand edit never stops the
office's monitoring. The open database and the job schedule are those the daemon
started with: a change of `database` or `schedules` needs a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError
from core.loading import load_settings

if TYPE_CHECKING:
    from core.config import Settings

logger = logging.getLogger(__name__)

Stamp = tuple[int, int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class LiveSettings:
    """`current()` is the settings to run a job with."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        path = settings.path
        self._stamp = _stamp(path) if path is not None else None
        self._sha = _digest(path) if path is not None else None

    def current(self) -> Settings:
        path = self._settings.path
        if path is None:
            return self._settings
        with self._lock:
            stamp = _stamp(path)
            if stamp is None or stamp == self._stamp:
                return self._settings  # unchanged, or gone for a moment: keep what we have
            self._stamp = stamp
            sha = _digest(path)
            if sha is None or sha == self._sha:
                return self._settings  # touched, same content
            self._sha = sha
            try:
                fresh = load_settings(path)
            except ConfigError as exc:
                logger.error(
                    "%s changed but does not validate; jobs keep the previous "
                    "settings until it is fixed:\n%s",
                    path,
                    exc,
                )
                return self._settings
            logger.info("%s changed: jobs now run with the new settings", path)
            self._settings = fresh
            return fresh
