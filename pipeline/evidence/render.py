"""A stored snapshot as it looked: a PNG screenshot and a PDF print, by the system Chromium.

The page is rendered from a local file, never from the live site, and nothing it
names may be fetched: the stored article could have changed since, and a fetch
would tell its publisher who is looking. Three layers keep it offline:

- the HTML is made inert before Chromium sees it: a Content-Security-Policy
  `<meta>` goes first in the document (no scripts, frames, fonts, images or styles
  from anywhere but inline and `data:`), and `<meta http-equiv="refresh">` is
  removed (a CSP does not stop a navigation);
- no script runs: the policy's `script-src 'none'` also blocks inline scripts,
  event-handler attributes and `javascript:` URLs (Chromium's own switch,
  `--blink-settings=scriptEnabled=false`, cannot be used: headless Chromium 156
  then silently writes neither screenshot nor PDF);
- every connection goes to a proxy that does not exist (`--proxy-server` to the
  discard port, `<-loopback>` so even 127.0.0.1 goes through it) and every host
  name resolves to nothing (`--host-resolver-rules`), which also silences
  Chromium's own background requests.

Chromium runs with a throw-away profile in a temporary folder, in its own process
group, killed as a whole when it overruns the timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.errors import PresswatchError
from core.evidence_settings import EvidenceSettings
from core.record import Snapshot
from crawlers.charset import decode_html

CSP = (
    "default-src 'none'; style-src 'unsafe-inline' data:; img-src data:; font-src data:; "
    "script-src 'none'; frame-src 'none'; object-src 'none'; form-action 'none'; base-uri 'none'"
)
INERT_HEAD = (
    '<meta charset="utf-8">'
    f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    '<meta name="referrer" content="no-referrer">'
)
_DOCTYPE = re.compile(r"^\s*(?:<!--.*?-->\s*)*<!doctype[^>]*>", re.I | re.S)
_REFRESH = re.compile(r"<meta[^>]+http-equiv\s*=\s*[\"']?\s*refresh[^>]*>", re.I)
# Offline flags; see the module docstring. The discard port answers nothing.
OFFLINE_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
)


class RenderError(PresswatchError):
    """Chromium is missing, failed or overran its time on a page."""


@dataclass(frozen=True, slots=True)
class Rendered:
    png: Path
    pdf: Path


def partial_path(target: Path) -> Path:
    """Where to write `target` before renaming it into place: beside it (the rename
    stays on one file system) and unique, so two exports at once never share one."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")


def find_chromium(settings: EvidenceSettings) -> str | None:
    """The Chromium executable the settings name (on PATH or a path), if it exists."""
    return shutil.which(settings.chromium)


def header(headers: dict[str, str], name: str) -> str | None:
    """A stored header by name in any case: the crawler stores them lower-cased,
    older rows and hand-made snapshots may not."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def inert_html(snapshot: Snapshot) -> str:
    """The snapshot's page as UTF-8 text that can load nothing from anywhere."""
    text, _ = decode_html(snapshot.body, header(snapshot.headers, "content-type"))
    text = _REFRESH.sub("", text)
    doctype = _DOCTYPE.match(text)
    # After the doctype, so the page keeps its standards or quirks mode.
    at = doctype.end() if doctype else 0
    return text[:at] + INERT_HEAD + text[at:]


def _command(
    chromium: str, settings: EvidenceSettings, page: Path, png: Path, pdf: Path
) -> list[str]:
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        f"--user-data-dir={page.parent / 'profile'}",
        *OFFLINE_FLAGS,
        "--hide-scrollbars",
        f"--window-size={settings.window_width},{settings.window_height}",
        "--no-pdf-header-footer",
        f"--screenshot={png}",
        f"--print-to-pdf={pdf}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return [*command, page.as_uri()]


def _run(command: list[str], timeout: float, url: str) -> None:
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its zygote and renderers die with it on a timeout
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RenderError(f"rendering {url}: Chromium took more than {timeout:.0f} s") from None
    if process.returncode != 0:
        last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RenderError(f"rendering {url}: Chromium exited {process.returncode}: {last[0]}")


def render_snapshot(
    snapshot: Snapshot, png: Path, pdf: Path, settings: EvidenceSettings
) -> Rendered:
    """Write the PNG and PDF of a stored page to `png` and `pdf` (each replaced
    atomically, so a crash leaves the old file or none, never half of one)."""
    chromium = find_chromium(settings)
    if chromium is None:
        raise RenderError(f"no Chromium found as {settings.chromium!r} (evidence.chromium)")
    png.parent.mkdir(parents=True, exist_ok=True)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="presswatch-render-") as folder:
        work = Path(folder)
        page = work / "page.html"
        page.write_text(inert_html(snapshot), encoding="utf-8")
        shot, printed = work / "shot.png", work / "print.pdf"
        command = _command(chromium, settings, page, shot, printed)
        _run(command, settings.render_timeout_seconds, snapshot.url)
        if not shot.is_file() or shot.stat().st_size == 0:
            raise RenderError(f"rendering {snapshot.url}: Chromium wrote no screenshot")
        if not printed.is_file() or not printed.read_bytes().startswith(b"%PDF"):
            raise RenderError(f"rendering {snapshot.url}: Chromium wrote no PDF")
        # Same file system as the targets for the final rename: copy next to them first.
        for made, target in ((shot, png), (printed, pdf)):
            partial = partial_path(target)
            shutil.copyfile(made, partial)
            os.replace(partial, target)
    return Rendered(png=png, pdf=pdf)
