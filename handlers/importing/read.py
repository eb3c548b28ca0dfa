"""Reading an uploaded spreadsheet (.xlsx or .csv) as a stream of rows, safely.

The file is parsed in a child process (``handlers/importing/sandbox.py``) with an address-space and
CPU limit and a wall-clock deadline here: a hostile file costs at most the child, and the user gets
a refusal from the catalog (``error.import_*``) in a fraction of a second for the known kinds
(password-protected, legacy .xls, macros, zip and shared-strings bombs, DTD/entity declarations,
damaged files, huge CSV fields, too many rows). Nothing here evaluates a formula: cells are values.

Rows stream: the child sends batches and this side yields them one at a time, so memory does not
grow with the row count. The header row is found among the first rows (QuickBooks exports put
report titles above it); data rows carry the row number a spreadsheet application shows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from handlers.errors import Refused
from handlers.importing.mapping import header_score

log = logging.getLogger(__name__)

SANDBOX = str(Path(__file__).with_name("sandbox.py"))
DEFAULT_MAX_ROWS = 100_000
HEAD_ROWS = 30          # the header row is looked for among the first 30 non-empty rows
SAMPLE_ROWS = 3
MAX_LINE = 64 * 1024**2


@dataclass(frozen=True)
class Limits:
    """What an import may cost. ``max_rows``: data rows above it are refused, never truncated."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_file_bytes: int = 64 * 1024**2
    timeout: float = 120.0                 # wall seconds for the child to read the whole file
    memory_bytes: int = 2 * 1024**3        # the child's address space
    cpu_seconds: int = 120


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class SourceInfo:
    """What the mapping step needs to know about a file: its columns and a few sample rows."""

    file_name: str
    kind: str                              # "xlsx" | "csv"
    engine: str                            # "calamine" | "openpyxl" | "csv"
    sheets: tuple[str, ...]                # every sheet of a workbook (empty for csv)
    sheet: str | None
    encoding: str | None                   # csv: "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"
    delimiter: str | None                  # csv: ",", ";" or "\t"
    header_row: int                        # the header's row number (1-based, as shown in Excel)
    headers: tuple[str, ...]
    samples: tuple[tuple[str, ...], ...] = field(default=())  # first data rows, as text
    data_rows: int | None = None           # data rows, when the reader counted them up front


class SourceRow(NamedTuple):
    number: int               # the row number a spreadsheet application shows
    cells: tuple[Any, ...]    # aligned with the headers: str, int, float, bool, date, datetime, None


def refused(code: str, **params: Any) -> Refused:
    return Refused(*Refused.of(f"import_{code}", None, **params).problems)


def sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024**2), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cell_text(value: Any) -> str:
    """A cell as the text a user typed: ``33612345678.0`` → ``"33612345678"``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time_of_day):
        return value.isoformat()
    return str(value)


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        try:
            if key == "d":
                return date.fromisoformat(value)
            if key == "dt":
                return datetime.fromisoformat(value)
            if key == "t":
                return time_of_day.fromisoformat(value)
            if key == "s":
                return timedelta(seconds=value)
        except (TypeError, ValueError):
            return str(value)
    return obj


_decode = json.JSONDecoder(object_hook=_untag).decode


class _Child:
    """The sandbox process and its line-delimited JSON output, read against a deadline."""

    def __init__(self, request: dict[str, Any], timeout: float) -> None:
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", SANDBOX, json.dumps(request)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.errors, close_fds=True,
        )
        self.deadline = time.monotonic() + timeout
        self.buffer = bytearray()
        self.selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.selector.register(self.fd, selectors.EVENT_READ)

    def messages(self) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            newline = self.buffer.find(b"\n", start)
            if newline >= 0:
                line = bytes(self.buffer[:newline])
                del self.buffer[: newline + 1]
                start = 0
                try:
                    message = _decode(line.decode("utf-8", "surrogatepass"))
                except ValueError:  # not the sandbox's JSON: nothing we can read
                    raise refused("unreadable") from None
                yield message
                continue
            start = len(self.buffer)
            if start > MAX_LINE:
                raise refused("unreadable")
            chunk = self._read()
            if not chunk:
                return
            self.buffer += chunk

    def _read(self) -> bytes:
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise refused("timeout")
            if self.selector.select(timeout=min(left, 1.0)):
                try:
                    return os.read(self.fd, 1024**2)
                except BlockingIOError:
                    continue

    def exit_code(self) -> int | None:
        try:
            return self.proc.wait(timeout=max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.close()
            raise refused("timeout") from None

    def stderr_tail(self) -> str:
        self.errors.seek(0, os.SEEK_END)
        size = self.errors.tell()
        self.errors.seek(max(0, size - 2000))
        return self.errors.read().decode("utf-8", "replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.selector.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()


class Source:
    """An open spreadsheet: ``info`` (headers, samples) and ``rows()``, the data rows in order.

    Use as a context manager; leaving it stops the child process.
    """

    def __init__(self, path: str | os.PathLike[str], *, file_name: str | None = None, sheet: str | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.path = os.fspath(path)
        self.file_name = file_name or os.path.basename(self.path)
        self.sheet = sheet
        self.limits = limits
        self.stopped_early = False
        self._child: _Child | None = None
        self._messages: Iterator[dict[str, Any]] = iter(())
        self._pending: list[list[Any]] = []
        self._meta: dict[str, Any] = {}
        self._ended = False
        self._sent_rows = False
        self._retried = False
        self._width = 0
        self._stream: Iterator[list[list[Any]]] = iter(())
        self.info = self._open()

    # -------------------------------------------------------------------------- opening

    def _open(self) -> SourceInfo:
        try:
            size = os.path.getsize(self.path)
        except OSError:
            raise refused("unreadable") from None
        if size > self.limits.max_file_bytes:
            raise refused("file_too_big", size_mb=round(size / 1024**2, 1),
                          max_mb=round(self.limits.max_file_bytes / 1024**2))
        self._start(engine=None)
        head = self._head()
        return self._header(head)

    def _start(self, engine: str | None) -> None:
        request = {
            "path": os.path.abspath(self.path), "sheet": self.sheet, "engine": engine,
            "count_above": self.limits.max_rows, "memory_bytes": self.limits.memory_bytes,
            "cpu_seconds": self.limits.cpu_seconds,
        }
        self._child = _Child(request, self.limits.timeout)
        self._messages = self._child.messages()
        first = self._next_message()
        if first is None:
            self._silent_exit()
            return
        self._meta = first["meta"]

    def _next_message(self) -> dict[str, Any] | None:
        message = next(self._messages, None)
        if message is not None and "error" in message:
            error = message["error"]
            self.close()
            raise refused(str(error.get("code", "unreadable")), **dict(error.get("params") or {}))
        return message

    def _silent_exit(self) -> None:
        """The child died without a word (a parser abort, the memory limit). Before any row was read,
        calamine gets a second chance through openpyxl's streaming reader, which bounds what it holds;
        otherwise the file is unreadable."""
        assert self._child is not None
        code = self._child.exit_code()
        log.warning("import reader exited with %s: %s", code, self._child.stderr_tail()[-500:])
        self.close()
        if not self._sent_rows and not self._retried and self._meta.get("engine") in (None, "calamine"):
            self._retried = True
            self._meta = {}
            self._start(engine="openpyxl")
            return
        raise refused("unreadable")

    def _batches(self) -> Iterator[list[list[Any]]]:
        while not self._ended:
            message = self._next_message()
            if message is None:
                self._silent_exit()  # raises, or restarts a reader that begins again
                continue
            if "rows" in message:
                self._sent_rows = True
                yield message["rows"]
            elif "end" in message:
                self._ended = True
                self.stopped_early = bool(message["end"].get("stopped_early"))

    def _head(self) -> list[list[Any]]:
        head: list[list[Any]] = []
        self._stream = self._batches()
        for batch in self._stream:
            head.extend(batch)
            if len(head) >= HEAD_ROWS:
                break
        return head

    def _header(self, head: list[list[Any]]) -> SourceInfo:
        if not head:
            self.close()
            raise refused("empty")
        candidates = head[:HEAD_ROWS]
        scores = [header_score(values) for _, values in candidates]
        best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
        if scores[best] == 0:
            # No known heading: the first row about as wide as the widest (titles are narrow).
            widest = max(_filled(values) for _, values in candidates)
            best = next((i for i, (_, values) in enumerate(candidates)
                         if _filled(values) >= max(2, (widest + 1) // 2)), 0)
        header_number, header_values = candidates[best]
        headers = _headers(header_values)
        self._width = len(headers)
        self._pending = head[best + 1:]
        count = self._meta.get("count")
        data_rows = count - (best + 1) if count is not None else None
        if data_rows is not None and data_rows > self.limits.max_rows:
            self.close()
            raise refused("too_many_rows", rows=data_rows, max=self.limits.max_rows)
        samples = tuple(
            tuple(cell_text(v) for v in self._aligned(values)) for _, values in self._pending[:SAMPLE_ROWS]
        )
        return SourceInfo(
            file_name=self.file_name, kind=self._meta.get("kind", ""), engine=self._meta.get("engine", ""),
            sheets=tuple(self._meta.get("sheets") or ()), sheet=self._meta.get("sheet"),
            encoding=self._meta.get("encoding"), delimiter=self._meta.get("delimiter"),
            header_row=int(header_number), headers=headers, samples=samples, data_rows=data_rows,
        )

    def _aligned(self, values: list[Any]) -> tuple[Any, ...]:
        width = self._width
        if len(values) >= width:
            return tuple(values[:width])
        return (*values, *([None] * (width - len(values))))

    # ---------------------------------------------------------------------------- rows

    def rows(self) -> Iterator[SourceRow]:
        """The data rows below the header, in order. Raises ``Refused`` (``import_too_many_rows``
        with the file's count, ``import_field_too_long``, ``import_timeout`` ...) as soon as known."""
        cap = self.limits.max_rows
        done = 0
        pending, self._pending = self._pending, []
        for batch in _chain([pending], self._stream):
            for number, values in batch:
                done += 1
                if done > cap:
                    raise refused("too_many_rows", rows=done + self._drain(), max=cap)
                yield SourceRow(int(number), self._aligned(values))
        self.close()

    def batches(self) -> Iterator[list[list[Any]]]:
        """The rows of ``rows()`` a batch at a time as the reader sends them, for callers that handle
        many rows (the import's cleaning): ``[number, cells]`` pairs, ``cells`` a list padded with
        ``None`` to the headers' width (cells beyond it are kept). Same refusals as ``rows()``."""
        cap = self.limits.max_rows
        width = self._width
        done = 0
        pending, self._pending = self._pending, []
        for batch in _chain([pending], self._stream):
            done += len(batch)
            if done > cap:
                raise refused("too_many_rows", rows=done + self._drain(), max=cap)
            for row in batch:
                values = row[1]
                if len(values) < width:
                    values.extend([None] * (width - len(values)))
            yield batch
        self.close()

    def _drain(self) -> int:
        """Count the rows left without keeping them (to say how many rows the file has)."""
        left = 0
        try:
            for batch in self._stream:
                left += len(batch)
        finally:
            self.close()
        return left

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None

    def __enter__(self) -> Source:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _filled(values: list[Any]) -> int:
    return sum(1 for v in values if v is not None and v != "")


def _chain(first: list[list[list[Any]]], rest: Iterator[list[list[Any]]]) -> Iterator[list[list[Any]]]:
    yield from first
    yield from rest


def _headers(values: list[Any]) -> tuple[str, ...]:
    """Header texts; an empty header cell is named after its column letter ("Column C")."""
    from handlers.messages import t

    names = [cell_text(v).strip() for v in values]
    return tuple(name or t("import.column_letter", letter=column_letter(i)) for i, name in enumerate(names))


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_source(path: str | os.PathLike[str], *, file_name: str | None = None, sheet: str | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Source:
    """Open a spreadsheet for import (``with open_source(p) as source: source.info, source.rows()``).

    Raises ``Refused`` with an ``import_*`` code when the file can't or mustn't be read.
    """
    return Source(path, file_name=file_name, sheet=sheet, limits=limits)


def inspect(path: str | os.PathLike[str], *, file_name: str | None = None, sheet: str | None = None,
            limits: Limits = DEFAULT_LIMITS) -> SourceInfo:
    """The file's sheets, header row, headers and sample rows (for the mapping step)."""
    with open_source(path, file_name=file_name, sheet=sheet, limits=limits) as source:
        return source.info
