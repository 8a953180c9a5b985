"""The crawl child's lifetime: it dies with its parent, stops when asked, and
leaves no temporary folder behind.

- Child side (`die_with_parent`): Linux's PR_SET_PDEATHSIG (through ctypes)
  delivers SIGKILL the moment the parent dies, kill -9 included; a watchdog
  thread polling the parent PID covers other systems and the start-up race
  (the parent dying before prctl ran). Pages are committed in small batches
  (each page all or nothing, `pipeline.crawl.batch`), so a kill loses at most
  the uncommitted batch, whose pages are fetched again on the next run.
- Parent side (`supervise`): waits for the child; on a stop request (daemon
  SIGTERM) sends SIGTERM so Scrapy stops scheduling, then SIGKILL after a
  grace period; on any exception (Ctrl-C, SIGTERM turned into SystemExit) kills
  the child before the temporary folder is removed.
- Temporary folders are named `presswatch-crawl-<pid>-…`; each crawl first
  removes those whose process is gone (a parent killed with -9 cannot clean up).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

PARENT_ENV = "PRESSWATCH_CRAWL_PARENT"
TMP_PREFIX = "presswatch-crawl-"
PR_SET_PDEATHSIG = 1
# How long a crawl asked to stop may take before it is killed (daemon SIGTERM: ≤ 30 s).
STOP_GRACE_SECONDS = 10.0
# Folders of the old, PID-less naming are removed once this old.
OLD_UNNAMED_SECONDS = 6 * 3600


def die_with_parent() -> None:
    """In the child: exit when the parent named in PRESSWATCH_CRAWL_PARENT is gone."""
    raw = os.environ.get(PARENT_ENV)
    if not raw:
        return  # started by hand (or by a test) on purpose: nobody to follow
    parent = int(raw)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl could take effect
        os._exit(3)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="presswatch-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def clean_stale_dirs(root: Path | None = None) -> list[Path]:
    """Remove crawl folders left by processes that no longer run; returns them."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    for folder in base.glob(f"{TMP_PREFIX}*"):
        owner = folder.name.removeprefix(TMP_PREFIX).split("-", 1)[0]
        try:
            if not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            if owner.isdigit():
                stale = not _alive(int(owner))
            else:
                stale = time.time() - folder.stat().st_mtime > OLD_UNNAMED_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        logger.info("removed %d crawl folder(s) left by dead processes", len(removed))
    return removed


@contextlib.contextmanager
def crawl_dir() -> Iterator[Path]:
    """A private temporary folder for one crawl, removed on every way out."""
    clean_stale_dirs()
    with tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}{os.getpid()}-") as tmp:
        yield Path(tmp)


def supervise(
    command: list[str], *, timeout: float | None = None, stop: threading.Event | None = None
) -> tuple[int, bool]:
    """Run the child to its end; (exit code, whether it was stopped early)."""
    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    child = subprocess.Popen(command, env=env)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            try:
                return child.wait(timeout=0.2), False
            except subprocess.TimeoutExpired:
                pass
            if deadline is not None and time.monotonic() > deadline:
                _end(child)
                return -1, False  # reported as a failed crawl process
            if stop is not None and stop.is_set():
                return _end(child), True
    finally:
        if child.poll() is None:  # an exception (Ctrl-C, SIGTERM) is leaving
            child.kill()
            child.wait()


def _end(child: subprocess.Popen[bytes]) -> int:
    """SIGTERM (Scrapy stops gracefully), then SIGKILL after the grace period."""
    child.terminate()
    try:
        return child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()
