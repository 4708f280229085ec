"""Process owners' code runs in a pool of separate, resource-limited processes.

Why a process: a guard inside the interpreter cannot stop one long C call (``sorted`` of
millions of items a hundred times, a huge integer division, ``strptime`` with a monster format),
cannot bound memory per request (RSS is process-wide) and cannot keep a ``BaseException`` from
unwinding through the engine and the timer worker. An operating-system process can: it gets
``RLIMIT_AS`` and ``RLIMIT_CPU``, and when it does not answer by the wall-clock deadline it is
killed and replaced. The web worker and the timer worker only see a German ``SandboxError``
for that one case.

``IsolatedEnvironment`` is the SpiffWorkflow script environment of every workflow (see
``make_script_engine``): each ``evaluate`` (conditions, timer and due-date expressions, DMN
cells) and ``execute`` (script tasks, pre/post scripts) sends the source and the task data as
JSON-plain frames to an idle sandbox process (``sandbox_worker.py``), which runs it through the
RestrictedPython sandbox (``sandbox.py``, the first wall) and answers with the result or the new
task data. Task data never carries anything but JSON values, dates and durations, so nothing a
script returns can execute in this process.

The pool is per OS process (a gunicorn worker, the timer worker, a test run), created lazily and
reset after a fork. Idle sandbox processes are kept for the next call (spawning one costs about
a tenth of a second); at most ``max_processes`` run at once, further callers wait for one.
"""

from __future__ import annotations

import atexit
import builtins
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from app.engine.sandbox import Mode, SandboxError, de_number, time_limit_message
from app.engine.sandbox_worker import (
    REPORTED_TYPES,
    FrameTimeout,
    UnstorableValue,
    decode_value,
    encode_value,
    read_frame,
    write_frame,
)
from app.engine.signals import sandbox_evaluated

WORKER_PATH = Path(__file__).with_name("sandbox_worker.py")
STARTUP_SECONDS = 30.0  # a new sandbox process must say "ready" within this (slow CI machines)


@dataclass(frozen=True)
class Limits:
    """What one evaluation may use. ``timeout`` is the script's own budget (checked inside the
    sandbox, with a friendly message); ``timeout + kill_grace`` is the wall-clock deadline after
    which the process is killed."""

    timeout: float = 1.0
    memory_mb: int = 256  # address space on top of the idle sandbox process
    kill_grace: float = 0.5
    max_data_bytes: int = 2**20  # task data (or a result) a script may leave behind
    max_processes: int = 8
    idle_processes: int = 2
    # All evaluations of one engine run together (a request, one timer step): a loop of
    # scripts that each stay under ``timeout`` must not hold a worker for minutes.
    total_seconds: float = 5.0

    def spawn_settings(self) -> dict[str, Any]:
        return {"memory_mb": self.memory_mb, "max_data_bytes": self.max_data_bytes}


def _kind(mode: str) -> str:
    return "Ausdruck" if mode == "eval" else "Skript"


class _Process:
    """One sandbox process and its two pipes."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.calls = 0
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and file
            [sys.executable, "-I", str(WORKER_PATH), json.dumps(settings)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd="/", close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is for the server, not for these
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.out_fd = self.proc.stdin.fileno()
        self.in_fd = self.proc.stdout.fileno()
        try:
            ready = read_frame(self.in_fd, time.monotonic() + STARTUP_SECONDS, limit=1024)
        except (FrameTimeout, ValueError, OSError):
            ready = None
        if ready is None:
            self.kill()
            raise SandboxError("Die Skript-Sandbox konnte nicht gestartet werden")

    def call(self, payload: bytes, deadline: float, limit: int) -> tuple[str, bytes | None]:
        """("ok", answer) | ("timeout", None) | ("died", None)."""
        self.calls += 1
        try:
            write_frame(self.out_fd, payload)
            answer = read_frame(self.in_fd, deadline, limit)
        except FrameTimeout:
            return "timeout", None
        except (OSError, ValueError):
            return "died", None
        return ("ok", answer) if answer is not None else ("died", None)

    def exit_signal(self) -> int | None:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return None
        return -code if code < 0 else None

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass


class SandboxPool:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Process] = []
        self._running = 0

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            # Inherited from the parent of a fork (e.g. gunicorn --preload): those processes
            # and pipes belong to the parent; start afresh.
            self._reset()

    def _acquire(self, limits: Limits, deadline: float) -> _Process:
        settings = limits.spawn_settings()
        with self._cond:
            while True:
                for index, proc in enumerate(self._idle):
                    if proc.settings == settings and proc.proc.poll() is None:
                        self._running += 1
                        return self._idle.pop(index)
                if len(self._idle) + self._running < limits.max_processes or self._idle:
                    stale = self._idle.pop(0) if self._idle else None
                    self._running += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxError("Die Skript-Sandbox ist ausgelastet, bitte später erneut versuchen")
                self._cond.wait(remaining)
        if stale is not None:
            stale.kill()
        try:
            return _Process(settings)
        except BaseException:
            self._release(None, limits)
            raise

    def _release(self, proc: _Process | None, limits: Limits) -> None:
        surplus = None
        with self._cond:
            self._running -= 1
            if proc is not None:
                if len(self._idle) < limits.idle_processes:
                    self._idle.append(proc)
                else:
                    surplus = proc
            self._cond.notify()
        if surplus is not None:
            surplus.kill()

    def run(self, request: dict[str, Any], limits: Limits) -> dict[str, Any]:
        """Send ``request`` to a sandbox process; the answer, or a SandboxError."""
        self._check_fork()
        mode = request["op"]
        payload = json.dumps(request, separators=(",", ":")).encode()
        if len(payload) > limits.max_data_bytes + 64 * 1024 + len(request.get("source", "")):
            raise SandboxError(f"Die Falldaten sind für ein {_kind(mode)} zu groß "
                               f"(mehr als {_mb(limits.max_data_bytes)} MB)")
        wait_until = time.monotonic() + STARTUP_SECONDS
        proc = self._acquire(limits, wait_until)
        keep = False
        try:
            deadline = time.monotonic() + limits.timeout + limits.kill_grace
            status, raw = proc.call(payload, deadline, limits.max_data_bytes + 64 * 1024)
            if status == "timeout":
                raise SandboxError(time_limit_message(mode, limits.timeout))
            if status == "died":
                raise SandboxError(self._death_message(proc, mode, limits))
            assert raw is not None
            answer = json.loads(raw)
            keep = not answer.get("recycle") and proc.calls < 1000
            return answer
        finally:
            if not keep:
                proc.kill()
            self._release(proc if keep else None, limits)

    @staticmethod
    def _death_message(proc: _Process, mode: Mode, limits: Limits) -> str:
        sig = proc.exit_signal()
        if sig == signal.SIGXCPU:
            return time_limit_message(mode, limits.timeout)
        if sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
            return (f"{_kind(mode)} wurde abgebrochen: der Sandbox-Prozess wurde beendet "
                    f"(Speicherlimit {de_number(limits.memory_mb)} MB oder Absturz)")
        return f"{_kind(mode)} wurde abgebrochen: der Sandbox-Prozess hat unerwartet geendet"

    def shutdown(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
        if self._pid == os.getpid():
            for proc in idle:
                proc.kill()

    def idle_pids(self) -> list[int]:
        """Process ids of the idle sandbox processes (for tests and diagnostics)."""
        with self._cond:
            return [proc.proc.pid for proc in self._idle]


def _mb(size: int) -> str:
    return de_number(round(size / 2**20, 1)).removesuffix(",0")


POOL = SandboxPool()
atexit.register(POOL.shutdown)


def _raise_answer(answer: dict[str, Any], mode: str, source: str) -> None:
    type_name = answer.get("type") or "SandboxError"
    message = str(answer.get("message") or "")
    if type_name == "SandboxError" or type_name not in REPORTED_TYPES:
        raise SandboxError(message or f"{_kind(mode)} ist fehlgeschlagen")
    exc = getattr(builtins, type_name)(message)
    line = answer.get("line")
    if mode == "exec" and isinstance(line, int) and 1 <= line <= source.count("\n") + 1:
        # Spiff reports the failing line from a traceback frame named <string>: raise from one.
        exec(compile("\n" * (line - 1) + "raise _error_", "<string>", "exec"), {"_error_": exc})  # noqa: S102
    raise exc


class IsolatedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow script environment that runs everything in the sandbox pool."""

    def __init__(self, limits: Limits | None = None) -> None:
        super().__init__({})
        self.limits = limits or Limits()
        self.spent = 0.0  # seconds used by the evaluations of this engine run so far

    def _request(self, mode: str, source: Any, context: dict[str, Any],
                 external_context: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(source, str):
            kind = "gültiger Ausdruck" if mode == "eval" else "gültiges Skript"
            raise SandboxError(f"Kein {kind}: {type(source).__name__}")
        try:
            request = {
                "op": mode, "source": source, "timeout": self.limits.timeout,
                "context": encode_value(context), "external": encode_value(external_context or {}),
            }
        except UnstorableValue as exc:
            raise SandboxError(f"Die Falldaten enthalten einen Wert, der nicht an ein {_kind(mode)} "
                               f"übergeben werden kann ({exc.type_name})") from None
        except RecursionError:
            raise SandboxError("Die Falldaten sind zu tief verschachtelt") from None
        left = self.limits.total_seconds - self.spent
        if left <= 0:
            raise SandboxError(f"Die Skripte und Ausdrücke dieses Schritts haben zusammen das Zeitlimit "
                               f"von {de_number(self.limits.total_seconds)} s überschritten")
        limits = self.limits
        if left < limits.timeout:
            limits = replace(limits, timeout=left)
            request["timeout"] = left
        started = time.monotonic()
        answer: dict[str, Any] = {}
        try:
            answer = POOL.run(request, limits)
        finally:
            self.spent += time.monotonic() - started
            if sandbox_evaluated.receivers:
                sandbox_evaluated.send(mode, ok=bool(answer.get("ok")))
        if not answer.get("ok"):
            _raise_answer(answer, mode, source)
        return answer

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict | None = None) -> Any:
        answer = self._request("eval", expression, context, external_context)
        return decode_value(answer.get("result"))

    def execute(self, script: str, context: dict[str, Any], external_context: dict | None = None) -> bool:
        answer = self._request("exec", script, context, external_context)
        new_data = decode_value(answer.get("context") or {})
        context.clear()
        context.update(new_data)
        return True


def make_script_engine(
    timeout: float = 1.0,
    memory_mb: int = 256,
    kill_grace: float = 0.5,
    max_data_bytes: int = 2**20,
    max_processes: int = 8,
    idle_processes: int = 2,
    total_seconds: float = 5.0,
) -> PythonScriptEngine:
    """Script engine for all workflows: scripts, conditions, timers and DMN cells run in the
    process-isolated sandbox."""
    limits = Limits(timeout=timeout, memory_mb=memory_mb, kill_grace=kill_grace,
                    max_data_bytes=max_data_bytes, max_processes=max_processes,
                    idle_processes=idle_processes, total_seconds=total_seconds)
    return PythonScriptEngine(environment=IsolatedEnvironment(limits))
