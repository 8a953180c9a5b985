"""Admin pages that add and edit the narratives in config.yaml (see core.config_edit
for why the file stays their source and how it is written back).

The list and the form read the file as it is on disk, not the settings the app
started with, so an admin always edits what is there; after a save (or when the
file was changed by someone else) the app's own settings take the file's
narratives, so the other pages name them as they now are.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.config import Narrative
from core.config_edit import (
    ConfigDocument,
    EditError,
    InvalidEdit,
    StaleConfig,
    narrative_fields,
    read_document,
    recent_history,
    save_narrative,
)
from core.errors import ConfigError
from core.loading import bundled_config_path
from pipeline.web.deps import admin, csrf, flash, render, state
from pipeline.web.security import APP_PREFIX
from storage.users import User

router = APIRouter(prefix=f"{APP_PREFIX}/admin/narratives")
LIST = f"{APP_PREFIX}/admin/narratives"
NarrativeId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
# Generous bounds for one claim; a form bigger than this is not someone typing.
Text = Annotated[str, Form(max_length=2000)]
Lines = Annotated[str, Form(max_length=50_000)]


def _config_path(request: Request) -> FilePath | None:
    path = state(request).settings.path
    # The starter config a wheel ships inside the package is no office's file: never
    # write it (in a checkout the bundled default is the repository's config.yaml, the
    # office's own file, which may be edited).
    packaged = bundled_config_path()
    if path is None or (packaged.name != "config.yaml" and path.resolve() == packaged.resolve()):
        return None
    return path


def _document(request: Request) -> tuple[ConfigDocument | None, str]:
    """The config on disk (and the app's narratives refreshed from it), or the
    reason it cannot be edited here."""
    path = _config_path(request)
    if path is None:
        return None, ""
    try:
        document = read_document(path)
    except (OSError, EditError, ConfigError) as exc:
        return None, str(exc)
    _adopt(request, document.settings.narratives)
    return document, ""


def _adopt(request: Request, narratives: list[Narrative]) -> None:
    web = state(request)
    if web.settings.narratives != narratives:
        # Only the narratives: every other section is what the server started with.
        web.settings = web.settings.model_copy(update={"narratives": narratives})


def _unavailable(request: Request, reason: str) -> Response:
    context: dict[str, Any] = {"document": None, "reason": reason, "narratives": [], "history": []}
    return render(request, "narrative_admin.html", context, status_code=503)


@router.get("", response_class=HTMLResponse)
def narratives_admin(request: Request, user: Annotated[User, Depends(admin)]) -> Response:
    document, reason = _document(request)
    if document is None:
        return _unavailable(request, reason)
    context = {
        "document": document,
        "reason": "",
        "narratives": document.settings.narratives,
        "history": recent_history(document.path, limit=8),
    }
    return render(request, "narrative_admin.html", context)


def _form(
    request: Request,
    document: ConfigDocument,
    fields: dict[str, Any],
    narrative_id: str | None,
    *,
    errors: list[str] | None = None,
    stale: bool = False,
    sha256: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "fields": fields,
        "narrative_id": narrative_id,
        "topics": document.settings.topics,
        "sha256": sha256 or document.sha256,
        "errors": errors or [],
        "stale": stale,
    }
    return render(request, "narrative_edit.html", context, status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, user: Annotated[User, Depends(admin)]) -> Response:
    document, reason = _document(request)
    if document is None:
        return _unavailable(request, reason)
    return _form(request, document, {}, None)


@router.get("/{narrative_id}/edit", response_class=HTMLResponse, name="narrative_edit")
def edit_form(
    request: Request, narrative_id: NarrativeId, user: Annotated[User, Depends(admin)]
) -> Response:
    document, reason = _document(request)
    if document is None:
        return _unavailable(request, reason)
    found = [n for n in document.settings.narratives if n.id == narrative_id]
    if not found:
        return render(request, "error.html", {"message_key": "not_found", "status": 404}, 404)
    return _form(request, document, narrative_fields(found[0]), narrative_id)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _save(
    request: Request,
    user: User,
    narrative_id: str | None,
    fields: dict[str, Any],
    sha256: str,
) -> Response:
    path = _config_path(request)
    if path is None:
        return _unavailable(request, "")
    try:
        result = save_narrative(
            path, fields, expected_sha256=sha256, user=user.username, narrative_id=narrative_id
        )
    except (StaleConfig, InvalidEdit, EditError) as exc:
        document, reason = _document(request)
        if document is None:
            return _unavailable(request, reason)
        # The form keeps the hash it was opened with: after a concurrent save, a resend
        # is refused again until the admin reopens the page and sees the other change.
        stale = isinstance(exc, StaleConfig)
        errors = [str(i) for i in exc.issues] if isinstance(exc, InvalidEdit) else [str(exc)]
        return _form(
            request,
            document,
            fields,
            narrative_id,
            errors=[] if stale else errors,
            stale=stale,
            sha256=sha256,
            status_code=409 if stale else 400,
        )
    _adopt(request, result.settings.narratives)
    flash(request, "nedit_saved", detail=str(fields.get("id") or narrative_id or ""))
    return RedirectResponse(LIST, status_code=303)


def narrative_form(
    statement_vi: Text,
    statement_en: Text = "",
    topics: Annotated[list[str] | None, Form()] = None,
    subjects: Lines = "",
    examples_vi: Lines = "",
    examples_en: Lines = "",
) -> dict[str, Any]:
    """The form's fields but the id, as `save_narrative` takes them (one per line -> list)."""
    return {
        "statement_vi": statement_vi,
        "statement_en": statement_en,
        "topics": topics or [],
        "subjects": _lines(subjects),
        "examples_vi": _lines(examples_vi),
        "examples_en": _lines(examples_en),
    }


NarrativeForm = Annotated[dict[str, Any], Depends(narrative_form)]


@router.post("/new", dependencies=[Depends(csrf)])
def add_narrative(
    request: Request,
    user: Annotated[User, Depends(admin)],
    config_sha256: Annotated[str, Form(max_length=64)],
    id: Annotated[str, Form(max_length=200)],
    form: NarrativeForm,
) -> Response:
    return _save(request, user, None, {"id": id.strip(), **form}, config_sha256)


@router.post("/{narrative_id}/edit", dependencies=[Depends(csrf)])
def edit_narrative(
    request: Request,
    narrative_id: NarrativeId,
    user: Annotated[User, Depends(admin)],
    config_sha256: Annotated[str, Form(max_length=64)],
    form: NarrativeForm,
) -> Response:
    return _save(request, user, narrative_id, {"id": narrative_id, **form}, config_sha256)
