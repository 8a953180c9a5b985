"""The library of answers: the narratives list, one narrative's history, and the
response templates admins keep for it (every save a new version).

The narratives themselves come from the config (`settings.narratives`); editing
them is another page's (a GET route named "narrative_edit" taking `narrative_id`:
when the app has one, these pages link to it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import NoMatchFound

from core.config import Narrative
from pipeline.i18n import catalog
from pipeline.reports.periodic_layout import duration
from pipeline.web.deps import Id, admin, csrf, flash, reading, render, state, viewer
from pipeline.web.security import APP_PREFIX
from storage import answer_templates as templates
from storage import answers
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)
LIST = f"{APP_PREFIX}/narratives"

# The config's identifier rule (core.config.Identifier): anything else names nothing.
NarrativeId = Annotated[str, PathParam(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Title = Annotated[str, Form(max_length=200)]
Body = Annotated[str, Form(min_length=1, max_length=20000)]


def _narratives(request: Request) -> list[Narrative]:
    return list(state(request).settings.narratives)


def _narrative(request: Request, narrative_id: str) -> Narrative:
    for narrative in _narratives(request):
        if narrative.id == narrative_id:
            return narrative
    raise HTTPException(404)


def edit_url(request: Request, narrative_id: str) -> str | None:
    """The narrative's edit page when the app has one, else None (no link shown)."""
    try:
        return str(request.app.url_path_for("narrative_edit", narrative_id=narrative_id))
    except NoMatchFound:
        return None


def _subjects(narrative: Narrative) -> list[tuple[str, str]]:
    """What a narrative's templates may answer: the narrative, then each of its topics."""
    return [("narrative", narrative.id), *(("topic", topic) for topic in narrative.topics)]


@router.get("/narratives", response_class=HTMLResponse)
def narratives_page(request: Request, user: Annotated[User, Depends(viewer)]) -> Response:
    with reading(request) as session:
        summaries = answers.narrative_summaries(session)
        counts = templates.template_counts(session)
    rows = [
        {
            "n": narrative,
            "summary": summaries.get(narrative.id),
            "templates": counts.get(("narrative", narrative.id), 0),
            "edit_url": edit_url(request, narrative.id),
        }
        for narrative in _narratives(request)
    ]
    return render(request, "narratives.html", {"rows": rows})


@router.get("/narratives/{narrative_id}", response_class=HTMLResponse)
def narrative_page(
    request: Request, user: Annotated[User, Depends(viewer)], narrative_id: NarrativeId
) -> Response:
    narrative = _narrative(request, narrative_id)
    with reading(request) as session:
        history = answers.narrative_history(session, narrative.id)
        found = templates.templates_for(session, _subjects(narrative))
    words = catalog(user.language)
    context: dict[str, Any] = {
        "n": narrative,
        "history": history,
        "templates": found,
        "subjects": _subjects(narrative),
        "took": lambda answered: duration(answered.time_to_respond, words),
        "edit_url": edit_url(request, narrative.id),
    }
    return render(request, "narrative.html", context)


def _back(narrative_id: str) -> RedirectResponse:
    return RedirectResponse(f"{LIST}/{narrative_id}#templates", status_code=303)


@router.post("/narratives/{narrative_id}/templates", dependencies=[Depends(csrf)])
def new_template(
    request: Request,
    user: Annotated[User, Depends(admin)],
    narrative_id: NarrativeId,
    subject: Annotated[str, Form(max_length=200)],
    title: Title,
    text: Body,
) -> Response:
    """A new template for the narrative or one of its topics (`subject` is
    "narrative:<id>" or "topic:<id>", one of the choices the page offered)."""
    narrative = _narrative(request, narrative_id)
    kind, _, ref = subject.partition(":")
    if (kind, ref) not in _subjects(narrative) or not text.strip():
        flash(request, "error", "error")
        return _back(narrative.id)
    with state(request).database.session() as session:
        templates.create_template(
            session, kind=kind, ref=ref, title=title, text=text.strip(), author=user.username
        )
    flash(request, "saved")
    return _back(narrative.id)


@router.post("/narratives/{narrative_id}/templates/{template_id}", dependencies=[Depends(csrf)])
def save_template(
    request: Request,
    user: Annotated[User, Depends(admin)],
    narrative_id: NarrativeId,
    template_id: Id,
    text: Body,
) -> Response:
    """The next version of a template's text, under the admin's name."""
    narrative = _narrative(request, narrative_id)
    try:
        with state(request).database.session() as session:
            found = templates.get_template(session, template_id)
            if (found.kind, found.ref) not in _subjects(narrative):
                raise templates.TemplateError(f"template #{template_id} is not this narrative's")
            if not text.strip():
                raise templates.TemplateError("a template needs its text")
            templates.save_version(session, template_id, text.strip(), user.username)
    except templates.TemplateError as exc:
        flash(request, "error", "error", str(exc))
        return _back(narrative.id)
    flash(request, "saved")
    return _back(narrative.id)
