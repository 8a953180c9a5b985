"""Recrawl (issue 15) against a local site that edits, removes and restores its
pages, rotates an ad paragraph inside every article and reflows whitespace, on
SQLite and PostgreSQL: each change is recorded once and none comes from the ad
or the whitespace; the original snapshot stays as it was; an edited article is
analysed again on its new text; the assignee of the open case is alerted once
per edit or removal; the digest and the periodic report count them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import select, update

from core.config import Settings
from core.record import Snapshot
from pipeline.alerts.rules import run_alerts
from pipeline.crawl.store import KIND_HEADER, ArticleStore
from pipeline.process.analyse import run_process
from pipeline.recrawl.refetch import run_recrawl
from pipeline.review import workflow
from storage.db import Database
from storage.deadlines import set_contact
from storage.models import AlertRow, AnalysisRow, ArticleRow, NotificationRow, SnapshotRow
from storage.snapshots import load_snapshot
from storage.sources import sync_sources
from storage.users import add_user
from storage.version_models import ArticleChangeRow, RecrawlDueRow
from storage.versions import edits_and_deletions, versions_of
from tests.pipeline.helpers import ScriptedAnalyzer, write_config
from tests.pipeline.recrawl_site import Page, RecrawlSite, recrawl_site
from tests.pipeline.servers import smtp_server

BRIDGE = Page(
    "Quảng Bình khởi công cầu mới qua sông Nhật Lệ",
    [
        "Sáng nay tỉnh Quảng Bình khởi công xây dựng cầu mới bắc qua sông Nhật Lệ ở thành phố "
        "Đồng Hới, dài ba cây số.",
        "Công trình có tổng vốn hơn hai nghìn tỷ đồng, dự kiến hoàn thành vào năm 2028 theo kế "
        "hoạch của tỉnh.",
        "Người dân địa phương mong cây cầu sẽ giúp giảm ùn tắc vào mùa du lịch hè hằng năm.",
    ],
)
ROAD = Page(
    "Quảng Bình mở rộng đường ven biển",
    [
        "Tỉnh Quảng Bình phê duyệt dự án mở rộng tuyến đường ven biển qua huyện Bố Trạch.",
        "Tuyến đường dài mười hai cây số, được chia làm hai giai đoạn thi công đến năm 2027.",
    ],
)
FLOOD = Page(
    "Lũ ở Quảng Bình: nước rút chậm",
    [
        "Mưa lớn kéo dài khiến nhiều xã ở Quảng Bình bị ngập sâu, nước rút chậm trong hai "
        "ngày qua.",
        "Chính quyền đã sơ tán hơn ba trăm hộ dân đến nơi an toàn và phát lương thực cứu trợ.",
    ],
)
CAVE = Page(
    "Phong Nha đón khách trở lại",
    [
        "Vườn quốc gia Phong Nha-Kẻ Bàng ở Quảng Bình mở cửa đón khách trở lại sau mùa lũ.",
        "Các tuyến tham quan hang động được kiểm tra an toàn trước khi mở lại cho du khách.",
    ],
    ad=False,  # the same bytes every time: its conditional GET answers 304
)
EDITED = (
    "Công trình có tổng vốn hơn năm nghìn tỷ đồng, nay dự kiến chỉ hoàn thành vào năm 2031 "
    "vì thiếu vốn."
)


def _pages() -> dict[str, Page]:
    return {
        slug: Page(p.title, list(p.paragraphs), p.mode, p.ad)
        for slug, p in (
            ("cau-moi", BRIDGE),
            ("duong-ven-bien", ROAD),
            ("lu-cham-rut", FLOOD),
            ("phong-nha", CAVE),
        )
    }


@dataclass
class Office:
    settings: Settings
    ids: dict[str, int]
    originals: dict[str, tuple[int, bytes]]  # slug -> (snapshot id, bytes first fetched)
    case_id: int
    mails: list[EmailMessage]


def crawl_pages(site: RecrawlSite, settings: Settings, database: Database) -> dict[str, int]:
    """Store each page as the crawl does (its snapshot, extraction and relevance)."""
    store = ArticleStore(settings, database)
    ids = {}
    for slug in site.pages:
        url = site.article_url(slug)
        answer = httpx.get(url)
        headers = {k.lower(): v for k, v in answer.headers.items()}
        snapshot = Snapshot(
            url=url,
            final_url=url,
            status=answer.status_code,
            body=answer.content,
            headers={**headers, KIND_HEADER: "article"},
            source_id="localnews",
        )
        built = store.build_article(snapshot)
        assert built.relevant and built.article_id is not None, slug
        ids[slug] = built.article_id
    return ids


def office_settings(settings: Settings, site: RecrawlSite, smtp_port: int) -> Settings:
    return settings.model_copy(
        update={
            "sources": [*settings.sources, site.source()],
            "smtp": settings.smtp.model_copy(update={"host": "127.0.0.1", "port": smtp_port}),
            "alerts": settings.alerts.model_copy(update={"quiet_hours": None, "rules": []}),
        }
    )


def open_assigned_case(database: Database, article_id: int) -> int:
    with database.session() as session:
        article = session.get(ArticleRow, article_id)
        assert article is not None and article.story_id is not None
        add_user(session, "lan", "x", "analyst")
        add_user(session, "chi", "x", "admin")
        set_contact(session, "lan", email="lan@example.test", telegram_chat_id="")
        case_id = workflow.open_case(
            session,
            story_id=article.story_id,
            title=article.title,
            article_id=article_id,
            distortion_score=0.8,
            priority=70.0,
            topics=[],
        )
        workflow.assign_case(session, case_id, "lan", "chi")
    return case_id


@contextmanager
def office(database: Database, settings: Settings) -> Iterator[tuple[RecrawlSite, Office]]:
    with recrawl_site() as site, smtp_server() as (port, mails):
        site.pages = _pages()
        configured = office_settings(settings, site, port)
        with database.session() as session:
            sync_sources(session, configured.sources)
        ids = crawl_pages(site, configured, database)
        originals = {}
        with database.session() as session:
            for slug, article_id in ids.items():
                row = session.get(ArticleRow, article_id)
                assert row is not None and row.snapshot_id is not None
                originals[slug] = (row.snapshot_id, load_snapshot(session, row.snapshot_id).body)
        case_id = open_assigned_case(database, ids["cau-moi"])
        yield site, Office(configured, ids, originals, case_id, mails)


def changes(database: Database) -> list[tuple[int, str, int, int]]:
    with database.session() as session:
        rows = session.scalars(select(ArticleChangeRow).order_by(ArticleChangeRow.id))
        return [(r.article_id, r.kind, r.from_version, r.to_version) for r in rows]


def test_each_change_is_recorded_once_and_noise_never(
    database: Database, settings: Settings
) -> None:
    with office(database, settings) as (site, o):
        bridge, road, flood, cave = (
            o.ids[s] for s in ("cau-moi", "duong-ven-bien", "lu-cham-rut", "phong-nha")
        )
        run_process(o.settings, database, ScriptedAnalyzer())
        run_alerts(o.settings, database)
        told_before = len(o.mails)  # lan heard of the assignment

        # Only the ad rotates and the whitespace reflows: no version, no change.
        site.reflow = True
        stats = run_recrawl(o.settings, database, everything=True)
        assert stats.outcomes == {"unchanged": 4}, stats
        # The page without an ad now answers its conditional GET with 304.
        stats = run_recrawl(o.settings, database, everything=True)
        assert stats.outcomes == {"unchanged": 3, "not_modified": 1}, stats
        assert changes(database) == []

        # A body edit and a title edit, each recorded once, however often refetched.
        site.pages["cau-moi"].paragraphs[1] = EDITED
        site.pages["duong-ven-bien"].title = "Quảng Bình dừng mở rộng đường ven biển"
        run_recrawl(o.settings, database, everything=True)
        run_recrawl(o.settings, database, everything=True)
        edits = [(bridge, "body", 1, 2), (road, "title", 1, 2)]
        assert changes(database) == edits

        # The edited articles are analysed again on their new text, and only they.
        analyzer = ScriptedAnalyzer()
        run_process(o.settings, database, analyzer)
        assert sorted(map(int, analyzer.seen)) == sorted([bridge, road])
        with database.session() as session:
            article = session.get(ArticleRow, bridge)
            assert article is not None and "2031" in article.text
            kept = session.scalars(
                select(AnalysisRow.analyzer_version)
                .where(AnalysisRow.article_id == bridge)
                .order_by(AnalysisRow.id)
            )
            assert list(kept) == ["test-1@v1", "test-1"]

        # Removed: 404, a redirect to the section, one to the home page, a 410.
        site.pages["cau-moi"].mode = "gone"
        site.pages["duong-ven-bien"].mode = "section"
        site.pages["lu-cham-rut"].mode = "home"
        site.pages["phong-nha"].mode = "gone410"
        run_recrawl(o.settings, database, everything=True)
        stats = run_recrawl(o.settings, database, everything=True)
        assert stats.outcomes == {"still_deleted": 4}, stats
        removals = [(bridge, "deleted", 2, 2), (road, "deleted", 2, 2)]
        removals += [(flood, "deleted", 1, 1), (cave, "deleted", 1, 1)]
        assert changes(database) == edits + removals

        # Back online: restored, each a version of its own; then removed again.
        site.pages["cau-moi"].mode = "ok"
        site.pages["lu-cham-rut"].mode = "ok"
        run_recrawl(o.settings, database, everything=True)
        run_recrawl(o.settings, database, everything=True)
        restored = [(bridge, "restored", 2, 3), (flood, "restored", 1, 2)]
        assert changes(database) == edits + removals + restored
        site.pages["lu-cham-rut"].mode = "gone"
        run_recrawl(o.settings, database, everything=True)
        again = [(flood, "deleted", 2, 2)]
        assert changes(database) == edits + removals + restored + again

        with database.session() as session:
            # The originals are untouched, and version 1 points at them.
            for slug, (snapshot_id, body) in o.originals.items():
                assert load_snapshot(session, snapshot_id).body == body, slug
                first = versions_of(session, o.ids[slug])[0]
                assert first.version == 1 and first.snapshot_id == snapshot_id
            texts = [v.text for v in versions_of(session, bridge)]
            assert "2028" in texts[0] and "2031" in texts[1] and "2031" in texts[2]
            # Refetched pages are their own snapshots, never rebuilt into articles.
            refetched = session.scalars(select(SnapshotRow.headers))
            kinds = {h.get(KIND_HEADER) for h in refetched}
            assert kinds == {"article", "recrawl"}

        # The open case's assignee: one alert per edit and per removal, however
        # often the alerts run; a restoration tells nobody; other articles no one.
        run_alerts(o.settings, database)
        run_alerts(o.settings, database)
        assert len(o.mails) == told_before + 2
        with database.session() as session:
            keys = list(
                session.scalars(select(AlertRow.key).where(AlertRow.rule_id == "article_change"))
            )
            assert len(keys) == 2 and all(k.startswith("change:") for k in keys)
            notices = list(
                session.scalars(
                    select(NotificationRow.kind)
                    .where(NotificationRow.kind.like("article_%"))
                    .order_by(NotificationRow.id)
                )
            )
            assert notices == ["article_edited", "article_deleted"]
            assert (
                session.scalar(
                    select(ArticleChangeRow.id).where(ArticleChangeRow.alerted.is_(False))
                )
                is None
            )
            now = dt.datetime.now(dt.UTC)
            assert edits_and_deletions(session, now - dt.timedelta(hours=1), now) == (2, 5)


def test_only_due_pages_are_fetched_once_each(database: Database, settings: Settings) -> None:
    with office(database, settings) as (site, o):
        first = dt.datetime.now(dt.UTC)
        with database.session() as session:
            session.execute(update(ArticleRow).values(fetched_at=first))
        # The case is open, so its article is also due daily; the rest only at +24 h, +7 d.
        site.requests.clear()
        stats = run_recrawl(o.settings, database, now=first + dt.timedelta(hours=1))
        assert stats.scheduled == 2 * 4 + 1
        assert [p for p in site.requests if p.startswith("/tin/")] == ["/tin/cau-moi.html"]
        site.pages["duong-ven-bien"].paragraphs[0] = "Tỉnh Quảng Bình hủy dự án đường ven biển."
        day = first + dt.timedelta(hours=25)
        stats = run_recrawl(o.settings, database, now=day)
        assert stats.outcomes["unchanged"] + stats.outcomes["not_modified"] == 3, stats
        assert stats.outcomes["edited"] == 1 and stats.outcomes["same_run"] == 1, stats
        assert run_recrawl(o.settings, database, now=day).outcomes.total() == 0
        with database.session() as session:
            left = session.scalars(
                select(RecrawlDueRow.due_kind).where(RecrawlDueRow.done_at.is_(None))
            )
            assert sorted(left) == ["7d"] * 4
        week = first + dt.timedelta(days=7, minutes=1)
        assert run_recrawl(o.settings, database, now=week).outcomes.total() == 4 + 1  # + daily
        assert [k for _, k, _, _ in changes(database)] == ["body"]


def test_cli_recrawl_now_refetches_every_relevant_article(
    database: Database, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    with office(database, settings) as (site, o):
        config = tmp_path / "config.yaml"
        write_config(o.settings, config, database_url)
        site.pages["lu-cham-rut"].mode = "gone"
        result = CliRunner().invoke(app, ["-c", str(config), "recrawl", "--now"])
        assert result.exit_code == 0, result.output
        assert "deleted 1, not_modified 1, unchanged 2" in result.output
        assert changes(database) == [(o.ids["lu-cham-rut"], "deleted", 1, 1)]


def test_an_unassigned_case_tells_whoever_takes_it(database: Database, settings: Settings) -> None:
    with office(database, settings) as (site, o):
        with database.session() as session:
            workflow.assign_case(session, o.case_id, None, "chi")
        site.pages["cau-moi"].paragraphs[0] = "Tỉnh Quảng Bình hoãn khởi công cầu mới vì thiếu vốn."
        run_recrawl(o.settings, database, everything=True)
        with database.session() as session:
            assert (
                session.scalar(select(AlertRow.id).where(AlertRow.rule_id == "article_change"))
                is None
            )
            workflow.assign_case(session, o.case_id, "lan", "chi")
        run_alerts(o.settings, database)
        run_alerts(o.settings, database)
        with database.session() as session:
            notices = session.scalars(
                select(NotificationRow.kind).where(NotificationRow.kind.like("article_%"))
            )
            assert list(notices) == ["article_edited"]
