"""Each public write handler is one transaction: it commits what it did, or rolls everything back."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from handlers.errors import Busy

P = ParamSpec("P")
R = TypeVar("R")


def transactional(handler: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Roll the session back when the handler raises.

    A refused change must leave nothing pending in the caller's session (the next commit would save
    it), and on SQLite it must not keep the write lock its ``BEGIN IMMEDIATE`` took while the caller
    goes on to answer the user. A lock not obtained within the session's wait (another transaction, such
    as an import, holds it) raises ``Busy``: nothing was done.
    """

    @functools.wraps(handler)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(session, *args, **kwargs)
        except OperationalError as error:
            session.rollback()
            if is_lock_timeout(error):
                raise Busy.of("busy") from error
            raise
        except BaseException:
            session.rollback()
            raise

    return run


def is_lock_timeout(error: OperationalError) -> bool:
    """SQLite's busy timeout, or PostgreSQL's ``lock_timeout`` (SQLSTATE 55P03), ran out."""
    if getattr(error.orig, "sqlstate", None) == "55P03":
        return True
    return "database is locked" in str(error.orig)
