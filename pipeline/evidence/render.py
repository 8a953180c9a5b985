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
group, killed as a whole when it overruns the timeout (crawlers/chromium.py, the
launcher the crawl's rendered fetch uses too).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.errors import PresswatchError
from core.evidence_settings import EvidenceSettings
from core.record import Snapshot
from crawlers.charset import decode_html
from crawlers.chromium import NO_PROXY, QUIET_FLAGS, ChromiumError, chromium_command, run_chromium

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
    NO_PROXY,
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    *QUIET_FLAGS,
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
    flags = (
        *OFFLINE_FLAGS,
        "--hide-scrollbars",
        f"--window-size={settings.window_width},{settings.window_height}",
        "--no-pdf-header-footer",
        f"--screenshot={png}",
        f"--print-to-pdf={pdf}",
    )
    return chromium_command(chromium, page.parent / "profile", flags, page.as_uri())


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
        try:
            run_chromium(command, settings.render_timeout_seconds, snapshot.url)
        except ChromiumError as exc:
            raise RenderError(str(exc)) from exc
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
