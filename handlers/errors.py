"""Domain errors. Each carries problems (code, field, parameters); the message catalog words them.

A listener turns an error into a Slack message or puts each problem under its form input; the CLI
prints it. Nothing here is English: ``str(error)`` asks the catalog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.messages import t


@dataclass(frozen=True)
class Problem:
    """One thing wrong, about one field (or the whole request when ``field`` is None)."""

    code: str
    field: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return t(f"error.{self.code}", lang, **self.params)


class ClientDeskError(Exception):
    """Base of every error a user can act on."""

    def __init__(self, *problems: Problem) -> None:
        if not problems:
            raise ValueError("an error needs at least one problem")
        self.problems: tuple[Problem, ...] = problems
        super().__init__(self.message())

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def field(self) -> str | None:
        return self.problems[0].field

    @property
    def params(self) -> Mapping[str, Any]:
        return self.problems[0].params

    def message(self, lang: str = "en") -> str:
        return "\n".join(p.message(lang) for p in self.problems)

    @classmethod
    def of(cls, code: str, field: str | None = None, /, **params: Any) -> ClientDeskError:
        """One problem: ``Refused.of("too_deep", "parent_id", parent=..., max=4)``."""
        return cls(Problem(code, field, params))


class InvalidInput(ClientDeskError):
    """What the user typed breaks a field rule (required, length, characters, format)."""


class NotFound(ClientDeskError):
    """The customer (or record) does not exist in this workspace."""


class Ambiguous(ClientDeskError):
    """A name matched several customers; ``params['candidates']`` lists their ids."""


class Conflict(ClientDeskError):
    """The change collides with existing data: a taken name, a stale version."""


class Refused(ClientDeskError):
    """A business rule forbids the change (balance, sub-customers, depth, ...)."""


class PermissionDenied(ClientDeskError):
    """The person may not do this."""


class Busy(ClientDeskError):
    """Another change holds the list (an import being saved, say): nothing was done; try again shortly."""
