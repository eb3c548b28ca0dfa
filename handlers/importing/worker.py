"""A helper process that cleans batches of rows for big imports, beside the process that plans them.

Cleaning is pure (the form's rules and the normalised keys) and takes most of a big import's time: a
second process on a second core takes half of it. The helper is our own code fed by our own process
(the rows are values already parsed by the sandbox), so batches travel as pickles over its pipes:
``main`` reads ``[4-byte length][pickle of a task]`` frames on stdin and answers each with a frame on
stdout, until stdin closes. See ``plan.stage``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> Any:
    header = stream.read(4)
    if not header:
        return None
    if len(header) < 4:
        header += _read_exact(stream, 4 - len(header))
    return pickle.loads(_read_exact(stream, int.from_bytes(header, "little")))


def write_frame(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(4, "little") + data)
    stream.flush()


def main() -> int:
    import gc

    from handlers.importing.plan import clean_batch

    # This process only cleans batches: what it allocates is freed by reference counting, and the cyclic
    # collector's passes over each batch's rows cost ~0.3 s of CPU per 100,000 rows.
    gc.disable()
    while True:
        task = read_frame(sys.stdin.buffer)
        if task is None:
            return 0
        write_frame(sys.stdout.buffer, clean_batch(task))


# Not ``-m handlers.importing.worker``: runpy would warn that the package's __init__ imported this module first.
_MAIN = "import sys; from handlers.importing.worker import main; sys.exit(main())"


class Helper:
    """The parent's side: ``submit(index, task)`` returns at once; ``results`` receives (index, result)."""

    def __init__(self, command: list[str] | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(command or [sys.executable, "-c", _MAIN],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT)
        self.tasks: queue.Queue[tuple[int, Any] | None] = queue.Queue(maxsize=2)
        self.results: queue.Queue[tuple[int, Any]] = queue.Queue()
        self._sent: list[int] = []
        self._sent_lock = threading.Lock()
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._feeder.start()
        self._reader.start()

    def submit(self, index: int, task: Any) -> None:
        self.tasks.put((index, task))

    def _feed(self) -> None:
        assert self.proc.stdin is not None
        try:
            while (item := self.tasks.get()) is not None:
                with self._sent_lock:
                    self._sent.append(item[0])
                write_frame(self.proc.stdin, item[1])
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def _read(self) -> None:
        assert self.proc.stdout is not None
        done = 0
        try:
            while (result := read_frame(self.proc.stdout)) is not None:
                with self._sent_lock:
                    index = self._sent[done]
                done += 1
                self.results.put((index, result))
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        self.results.put((-1, None))  # the helper's output ended

    def finish(self) -> None:
        """No more tasks: let the helper drain and exit."""
        self.tasks.put(None)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


if __name__ == "__main__":
    sys.exit(main())
