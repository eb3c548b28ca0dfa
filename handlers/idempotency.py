"""Doing a thing once however many times Slack (or a double click) asks for it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.models import ProcessedRequest


def claim(session: Session, *, team_id: str, key: str) -> bool:
    """Record ``key`` as processed; False when it already was (then nothing should be done).

    The claim belongs to the session's transaction: claimed together with the change it guards, a
    crash before the commit leaves it unclaimed and a retry does the work.
    """
    savepoint = session.begin_nested()
    session.add(ProcessedRequest(team_id=team_id, key=key[:255]))
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return False
    return True
