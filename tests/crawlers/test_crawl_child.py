"""The crawl worker dies with its parent, and no `presswatch-crawl-*` folder
outlives a crawl, whatever way it ended (issue 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import crawl_settings
from site_server import SiteServer, sitemap_source

from core.config import Settings
from pipeline.crawl import child
from tests.conftest import ROOT
from tests.pipeline.helpers import write_config


def _gone(pid: int) -> bool:
    """Exited (a zombie nobody reaped counts: it runs no code)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status or "\nState:\tX" in status


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_only_folders_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{child.TMP_PREFIX}{dead.pid}-abc"
    live = tmp_path / f"{child.TMP_PREFIX}{os.getpid()}-def"
    old_style = tmp_path / f"{child.TMP_PREFIX}k2j3h4"
    for folder in (stale, live, old_style):
        folder.mkdir()
        (folder / "settings.json").write_text("{}")
    os.utime(old_style, (0, 0))
    removed = child.clean_stale_dirs(tmp_path)
    assert sorted(removed) == sorted([stale, old_style])
    assert live.exists() and not stale.exists() and not old_style.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_the_child_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    worker = textwrap.dedent(
        f"""
        import os, time
        from pipeline.crawl.child import die_with_parent
        die_with_parent()
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(60)
        """
    )
    parent = textwrap.dedent(
        f"""
        import sys
        from pipeline.crawl.child import supervise
        supervise([sys.executable, "-c", {worker!r}])
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", parent], cwd=ROOT)
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    child_pid = int(pid_file.read_text())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _wait_gone(child_pid, 3.0), "the crawl child outlived its killed parent"


def _workers_under(folder: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        wanted = "pipeline.crawl.worker" in cmdline and str(folder) in cmdline
        if wanted and not _gone(int(proc.name)):
            found.append(int(proc.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killing_crawl_ends_its_worker_and_leaves_no_folder(
    db_settings: Settings,
    database_url: str,
    site: SiteServer,
    tmp_path: Path,
    how: signal.Signals,
) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("process handling does not depend on the backend (kill tests cover both)")
    source = sitemap_source(site, "many", "Bản tin phường", concurrency_per_domain=1)
    settings = crawl_settings(db_settings, [source])
    site.state.many_delay = 0.3
    config = tmp_path / "config.yaml"
    write_config(settings, config, database_url)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    command = [str(Path(sys.executable).with_name("presswatch")), "--config", str(config), "crawl"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not site.state.requests or not _workers_under(tmp):
        assert time.monotonic() < deadline and proc.poll() is None, "crawl never started"
        time.sleep(0.05)
    workers = _workers_under(tmp)
    proc.send_signal(how)
    out, _ = proc.communicate(timeout=30)
    for pid in workers:
        assert _wait_gone(pid, 3.0), f"worker {pid} outlived `crawl` ({how.name})"
    if how == signal.SIGTERM:
        # Stopped cleanly: its folder removed, the source's outcome recorded, exit 1.
        assert proc.returncode == 1
        assert b"stopped before it finished" in out
        assert list(tmp.glob("presswatch-crawl-*")) == []
        return
    leaked = list(tmp.glob("presswatch-crawl-*"))
    assert len(leaked) == 1  # nobody could clean up after -9 ...
    # ... so the next crawl's start removes it (its owner PID is gone).
    assert child.clean_stale_dirs(tmp) == leaked
