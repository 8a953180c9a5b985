"""Download the periodic report: written on request from the current data (the
same `build_report` as `presswatch report`, into the same reports folder)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from core.errors import PresswatchError
from pipeline.reports.periodic import build_report
from pipeline.reports.periods import Period, parse_period
from pipeline.web.deps import state, viewer
from storage.users import User

# No prefix: routes.trends includes this router under its own /app prefix.
router = APIRouter()

MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@router.get("/reports/periodic")
async def periodic_report(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    period: Annotated[str, Query(max_length=10)],
    format: Annotated[Literal["docx", "pdf"], Query()] = "pdf",
) -> Response:
    try:
        chosen: Period = parse_period(period)
    except PresswatchError:
        raise HTTPException(404, "no such period") from None
    web = state(request)
    language = user.language if user.language in ("vi", "en") else "vi"
    # Rendering takes a second or two: off the event loop.
    result = await run_in_threadpool(
        build_report, web.settings, web.database, chosen, language=language
    )
    path = result.docx_path if format == "docx" else result.pdf_path
    return FileResponse(
        path,
        media_type=MEDIA[format],
        filename=path.name,
        content_disposition_type="attachment",
    )
