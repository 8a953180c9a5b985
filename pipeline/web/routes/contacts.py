"""A person's own channels for deadline alerts (email, Telegram chat id): each user
sets theirs on the account page, an admin anyone's on the users page. Deadline
warnings and escalations reach them there (`pipeline.alerts.deadlines`)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.web.deps import admin, csrf, flash, state, viewer
from pipeline.web.security import APP_PREFIX
from storage.deadlines import set_contact
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)

# Enough to catch a typo; the mail server is the judge of the rest.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Telegram chat ids are integers; groups and channels are negative.
TELEGRAM_CHAT = re.compile(r"-?\d{1,20}")
Field = Annotated[str, Form(max_length=256)]


def _save(request: Request, username: str, email: str, telegram: str) -> None:
    email, telegram = email.strip(), telegram.strip()
    if email and not EMAIL.fullmatch(email):
        flash(request, "contact_bad_email", "error")
    elif telegram and not TELEGRAM_CHAT.fullmatch(telegram):
        flash(request, "contact_bad_telegram", "error")
    else:
        try:
            with state(request).database.session() as session:
                set_contact(session, username, email=email, telegram_chat_id=telegram)
        except KeyError:
            raise HTTPException(404) from None
        flash(request, "contact_saved")


@router.post("/account/contact", dependencies=[Depends(csrf)])
def own_contact(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    email: Field = "",
    telegram_chat_id: Field = "",
) -> Response:
    _save(request, user.username, email, telegram_chat_id)
    return RedirectResponse(f"{APP_PREFIX}/account", status_code=303)


@router.post("/admin/users/{username}/contact", dependencies=[Depends(csrf)])
def user_contact(
    request: Request,
    user: Annotated[User, Depends(admin)],
    username: str,
    email: Field = "",
    telegram_chat_id: Field = "",
) -> Response:
    _save(request, username, email, telegram_chat_id)
    return RedirectResponse(f"{APP_PREFIX}/admin/users", status_code=303)
