"""Dashboard, reports and the inert evidence view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from pipeline.web import dashboard
from pipeline.web.deps import Id, reading, render, state, viewer
from pipeline.web.security import APP_PREFIX, EVIDENCE_CSP, EVIDENCE_PREFIX, REPORT_CSP
from storage import web_queries
from storage.snapshots import load_snapshot
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)
evidence_router = APIRouter(prefix=EVIDENCE_PREFIX)


@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    days: Annotated[int, Query()] = 7,
) -> Response:
    if days not in dashboard.PERIODS:
        days = 7
    web = state(request)
    with reading(request) as session:
        board = dashboard.load(
            session,
            days=days,
            now=dt.datetime.now(dt.UTC),
            timezone=web.settings.profile.timezone,
            topic_threshold=web.settings.nlp.thresholds.topic_score,
        )
        failed = web_queries.failed_sources(session)
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "failed": failed,
            "periods": dashboard.PERIODS,
            "stances": dashboard.STANCES,
        },
    )


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, user: Annotated[User, Depends(viewer)]) -> Response:
    with reading(request) as session:
        digests = web_queries.list_digests(session)
        exports = web_queries.list_exports(session)
    return render(request, "reports.html", {"digests": digests, "exports": exports})


def _existing(path_text: str) -> Path:
    path = Path(path_text)
    if not path.is_file():
        raise HTTPException(404, "file missing")
    return path


@router.get("/reports/digests/{digest_id}/{kind}")
def digest_file(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    digest_id: Id,
    kind: Literal["html", "txt"],
    download: bool = False,
) -> Response:
    with reading(request) as session:
        row = web_queries.get_digest(session, digest_id)
    if row is None:
        raise HTTPException(404)
    path = _existing(row.html_path if kind == "html" else row.text_path)
    name = f"digest-{row.day.isoformat()}-{row.language}.{kind}"
    media = "text/html; charset=utf-8" if kind == "html" else "text/plain; charset=utf-8"
    disposition = "attachment" if download else "inline"
    return FileResponse(
        path,
        media_type=media,
        filename=name,
        content_disposition_type=disposition,
        # Our own generated HTML, but it quotes articles: keep it sandboxed all the same.
        headers={"Content-Security-Policy": REPORT_CSP},
    )


@router.get("/reports/exports/{export_id}")
def export_file(
    request: Request, user: Annotated[User, Depends(viewer)], export_id: Id
) -> Response:
    with reading(request) as session:
        row = web_queries.get_export(session, export_id)
    if row is None:
        raise HTTPException(404)
    path = _existing(row.path)
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"presswatch-{row.iso_week}.csv",
        content_disposition_type="attachment",
    )


_RENDERABLE = ("text/html", "application/xhtml+xml", "text/plain")


@evidence_router.get("/{snapshot_id}")
def evidence(request: Request, snapshot_id: Id, token: str = "") -> Response:
    """A stored snapshot, byte for byte, made inert: CSP sandbox (no scripts, opaque
    origin), nothing fetched, no cookie (outside the session cookie's path). Access
    needs a token a logged-in page minted for this snapshot."""
    web = state(request)
    if not web.evidence.check(token, snapshot_id):
        return Response("link expired or invalid", status_code=403, media_type="text/plain")
    with reading(request) as session:
        try:
            snapshot = load_snapshot(session, snapshot_id)
        except KeyError:
            return Response("no such snapshot", status_code=404, media_type="text/plain")
    headers = {k.lower(): v for k, v in snapshot.headers.items()}
    declared = headers.get("content-type", "text/html")
    base = declared.split(";")[0].strip().lower()
    # Only HTML or text is shown; anything else (SVG, PDF, scripts) is shown as plain text.
    media = declared if base in _RENDERABLE else "text/plain"
    if "charset" not in media.lower() and base not in _RENDERABLE:
        media = "text/plain; charset=utf-8"
    return Response(
        snapshot.body,
        media_type=media,
        headers={
            "Content-Security-Policy": EVIDENCE_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
            "Content-Disposition": "inline",
        },
    )
