"""The one launcher of the system Chromium, headless: evidence renders of stored pages
(pipeline/evidence/render.py, no network at all) and the crawl's rendered fetch of a
live article page whose static HTML has no article body (`render: fallback`).

Chromium runs with a throw-away profile, in its own process group (its zygote and
renderers die with it), killed as a whole when it overruns its time.

A live render may reach the page's own host and nothing else: every connection goes
to a proxy that does not exist (the discard port) except the page's host, which the
proxy bypass list names, and every other host name resolves to nothing. So a
script, an image or a tracker on any other host (a CDN included) is not fetched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from core.errors import PresswatchError

# The discard port: nothing answers there, so a proxied request fails at once.
NO_PROXY = "--proxy-server=http://127.0.0.1:9"
# Chromium's own background traffic (updates, sync, translation, safe browsing).
QUIET_FLAGS = (
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
# Scripts' timers and fetches run in virtual time, which does not advance while a
# request is pending: this much of it lets a page insert its body (real time is
# bounded by the caller's timeout).
VIRTUAL_TIME_MS = 5000


class ChromiumError(PresswatchError):
    """Chromium failed, overran its time, or gave back nothing."""


def chromium_command(chromium: str, profile: Path, flags: Sequence[str], target: str) -> list[str]:
    """Headless Chromium with a profile of its own and the given switches, opening `target`."""
    command = [chromium, "--headless", "--disable-gpu", f"--user-data-dir={profile}", *flags]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return [*command, target]


def run_chromium(command: list[str], timeout: float, url: str) -> bytes:
    """Run a Chromium command to its end; its standard output."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its zygote and renderers die with it on a timeout
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ChromiumError(f"rendering {url}: Chromium took more than {timeout:.0f} s") from None
    if process.returncode != 0:
        last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ChromiumError(f"rendering {url}: Chromium exited {process.returncode}: {last[0]}")
    return stdout


def own_host_flags(url: str) -> tuple[str, ...]:
    """Network switches that let Chromium reach `url`'s host (and port) only."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise ChromiumError(f"rendering {url}: no host to render from")
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal
    target = f"{name}:{parts.port}" if parts.port else name
    return (
        NO_PROXY,
        # `<-loopback>` first: Chromium would otherwise bypass the proxy for every
        # local address, not only the page's own.
        f"--proxy-bypass-list=<-loopback>;{target}",
        f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}",
        *QUIET_FLAGS,
    )


def render_live(
    url: str, *, chromium: str, timeout: float, user_agent: str, max_bytes: int
) -> bytes:
    """The DOM of the live page at `url` once its scripts have run, as UTF-8 HTML.

    Images are not loaded (the DOM is what is wanted); only the page's own host is
    reachable (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="presswatch-fetch-") as folder:
        command = chromium_command(
            chromium,
            Path(folder) / "profile",
            (
                *own_host_flags(url),
                f"--user-agent={user_agent}",
                "--blink-settings=imagesEnabled=false",
                f"--virtual-time-budget={VIRTUAL_TIME_MS}",
                "--dump-dom",
            ),
            url,
        )
        dom = run_chromium(command, timeout, url)
    if not dom.strip():
        raise ChromiumError(f"rendering {url}: Chromium gave back an empty page")
    if len(dom) > max_bytes:
        raise ChromiumError(f"rendering {url}: rendered page over {max_bytes} bytes")
    return dom
