"""Child processes whose output is kept and searchable: how the demo, the experiment and the tests run the bridge.

Each process's output is drained by a thread into memory, so a caller can wait
for a line (``wait_for``) and the pipe can never fill up and block the child.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Process:
    """A child process whose combined output is kept and searchable."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        self.name = name
        self.argv = argv
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._drain, name=f"{name}-output", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        for raw in self.proc.stdout:
            with self._changed:
                self._lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        with self._changed:
            return "\n".join(self._lines)

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match:
        """The first output line from index ``start`` matching ``pattern``; fails the test after ``timeout``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        index = start
        with self._changed:
            while True:
                while index < len(self._lines):
                    match = regex.search(self._lines[index])
                    index += 1
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and index >= len(self._lines)):
                    raise AssertionError(
                        f"{self.name}: no line matching {pattern!r} within {timeout}s "
                        f"(exit code {self.proc.poll()}); output:\n{self.output[-4000:]}"
                    )
                self._changed.wait(min(remaining, 0.2))

    @property
    def line_count(self) -> int:
        with self._changed:
            return len(self._lines)

    def signal(self, signum: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._reader.join(2)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self._reader.join(2)
