"""Each public write handler is one transaction: it commits what it did, or rolls everything back."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlmodel import Session

P = ParamSpec("P")
R = TypeVar("R")


def transactional(handler: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Roll the session back when the handler raises.

    A refused change must leave nothing pending in the caller's session (the next commit would save
    it), and on SQLite it must not keep the write lock its ``BEGIN IMMEDIATE`` took while the caller
    goes on to answer the user.
    """

    @functools.wraps(handler)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return run
