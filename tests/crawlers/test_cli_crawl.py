"""`presswatch crawl`, `extract` and `reextract`, run the way staff run them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from conftest import SITE, crawl_settings, site_sources
from site_server import SiteServer
from sqlalchemy import select
from typer.testing import CliRunner

from core.config import Place, Settings
from pipeline.cli import app
from pipeline.process.relevance import relevance_version
from storage.db import Database
from storage.models import ArticleRow, SourceRow

runner = CliRunner()
KEYS = {"input", "title", "text", "published_at", "authors", "language"}


def _write_config(settings: Settings, path: Path) -> Path:
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json"), allow_unicode=True), "utf-8")
    return path


def test_extract_files_gz_and_urls(tmp_path: Path, site: SiteServer) -> None:
    page = SITE / "vi" / "lu-quang-binh-1001.html"
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(page.read_bytes()))
    url = site.url("/en/son-doong-cap-2001.html")
    result = runner.invoke(app, ["extract", str(page), str(packed), url])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(page), str(packed), url]
    assert all(set(line) == KEYS for line in lines)
    assert lines[0] == {**lines[1], "input": str(page)}
    assert lines[0]["title"] == "Mưa lũ nhấn chìm hơn 1.200 ngôi nhà ở Quảng Bình"
    assert lines[0]["published_at"] == "2026-03-04T17:30:00+07:00"
    assert lines[0]["authors"] == ["Hoàng Minh"] and lines[0]["language"] == "vi"
    assert lines[2]["language"] == "en" and "Son Doong" in lines[2]["text"]


def test_extract_reports_a_bad_input_and_goes_on(tmp_path: Path) -> None:
    missing = tmp_path / "missing.html"
    page = SITE / "en" / "exports-rise-2006.html"
    result = runner.invoke(app, ["extract", str(missing), str(page)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert str(missing) in lines[0]["error"] and lines[1]["title"].startswith("Vietnam exports")


@pytest.mark.slow
def test_crawl_command_then_reextract_with_a_wider_watch_list(
    db_settings: Settings, database: Database, site: SiteServer, tmp_path: Path
) -> None:
    settings = crawl_settings(db_settings, site_sources(site))
    config = _write_config(settings, tmp_path / "config.yaml")
    result = runner.invoke(app, ["--config", str(config), "crawl", "--source", "mientrung-site"])
    assert result.exit_code == 0, result.output
    assert "mientrung-site" in result.output and "articles new 4" in result.output
    with database.session() as session:
        assert session.get(SourceRow, "mientrung-site").last_crawl_ok is True  # type: ignore[union-attr]
        hanoi = session.scalars(select(ArticleRow).where(ArticleRow.url.contains("ha-noi"))).one()
    assert not hanoi.relevant and hanoi.text == ""
    assert hanoi.relevance_version == relevance_version(settings.watch)

    bad = runner.invoke(app, ["--config", str(config), "crawl", "--source", "nope"])
    assert bad.exit_code == 2 and "unknown source" in bad.output

    watch = settings.watch.model_copy(
        update={
            "places": [*settings.watch.places, Place(id="ha-noi", kind="city", names=["Hà Nội"])]
        }
    )
    wider = _write_config(settings.model_copy(update={"watch": watch}), tmp_path / "wider.yaml")
    result = runner.invoke(app, ["--config", str(wider), "reextract"])
    assert result.exit_code == 0, result.output
    assert "stored=4" in result.output
    with database.session() as session:
        rows = {r.url.split("/")[-2]: r for r in session.scalars(select(ArticleRow))}
    assert len(rows) == 4
    again = rows["ha-noi-kinh-te-d4e5f6"]
    assert again.id == hanoi.id and again.relevant and again.text.startswith("Tổng sản phẩm")
    assert again.story_id is not None
    assert {r.relevance_version for r in rows.values()} == {relevance_version(watch)}
