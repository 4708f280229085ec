"""The sandbox process: runs process owners' code (scripts, conditions, timer and due-date
expressions, DMN cells) outside the web and worker processes.

The parent (``app/engine/isolation.py``) starts this file as ``python -I sandbox_worker.py``
with pipes on stdin/stdout and a minimal environment. It loads ``sandbox.py`` by path (so that
no part of the application, its configuration or its database connections exist here), sets
operating-system limits (address space, CPU time per call, no files written, no core dumps) and
then answers one request at a time. Requests and answers are frames of JSON-plain data
(``encode_value``/``decode_value``: dates and durations tagged, nothing that could execute when
read). RestrictedPython stays the first wall; these limits are the second, and the parent's
wall-clock deadline, after which it kills this process, is the third.

Whatever a script does — ``raise BaseException``, a C call that runs for minutes, a gigabyte
allocation, a crash of the interpreter — ends here: the answer is an error (or no answer, and the
parent reports it), and a process that may be damaged exits and is replaced.

The codec and the frame functions at the top are shared with the parent; this module imports
only the standard library at module level.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import select
import struct
import sys
import time
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 64 * 2**20  # hard ceiling for any frame on the pipe

# --------------------------------------------------------------------------------------------
# JSON-plain codec (shared with the parent)
# --------------------------------------------------------------------------------------------


class UnstorableValue(ValueError):
    """A value that cannot cross the process boundary (and could not be stored either)."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


def encode_value(value: Any) -> Any:
    """Plain JSON for task data: dates, times and durations tagged, tuples and sets as lists,
    dicts with one ``$`` key escaped so that data can never pose as a tag."""
    if isinstance(value, str):
        if "\x00" in value:
            raise UnstorableValue("Text mit Nullzeichen")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UnstorableValue("Text mit ungültigem Unicode-Zeichen") from None
        return value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": repr(value)}
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                if key is None or isinstance(key, (bool, int, float)):
                    key = json.dumps(key)  # what the serialiser would make of it
                else:
                    raise UnstorableValue(type(key).__name__)
            encoded[encode_value(key)] = encode_value(item)
        if len(encoded) == 1 and next(iter(encoded)).startswith("$"):
            return {"$dict": encoded}
        return encoded
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encode_value(item) for item in value]
    if isinstance(value, _dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, _dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    raise UnstorableValue(type(value).__name__)


def _decode_tag(tag: str, body: Any) -> Any:
    if tag == "$dict":
        return {key: decode_value(item) for key, item in body.items()}
    if tag == "$datetime":
        return _dt.datetime.fromisoformat(body)
    if tag == "$date":
        return _dt.date.fromisoformat(body)
    if tag == "$time":
        return _dt.time.fromisoformat(body)
    if tag == "$timedelta":
        days, seconds, micros = body
        return _dt.timedelta(days=days, seconds=seconds, microseconds=micros)
    if tag == "$float":
        return float(body)
    raise ValueError(f"unknown tag {tag!r}")


def decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if key.startswith("$"):
                return _decode_tag(key, value[key])
        return {key: decode_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# Frames on a pipe (shared with the parent)
# --------------------------------------------------------------------------------------------


def write_frame(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameTimeout(Exception):
    """No complete frame before the deadline."""


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FrameTimeout
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise FrameTimeout
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            return None  # the other side closed the pipe
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None, limit: int = MAX_FRAME_BYTES) -> bytes | None:
    """One frame, or None when the pipe was closed. Raises FrameTimeout after ``deadline``
    (``time.monotonic()``) and ValueError for a frame larger than ``limit``."""
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > limit:
        raise ValueError(f"frame of {size} bytes exceeds {limit}")
    return _read_exact(fd, size, deadline)


# --------------------------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------------------------

# Exceptions a script may raise or meet whose type the parent re-raises as such.
REPORTED_TYPES = frozenset({
    "Exception", "ArithmeticError", "AttributeError", "IndexError", "KeyError", "LookupError",
    "NameError", "TypeError", "ValueError", "ZeroDivisionError", "OverflowError",
    "RecursionError", "UnboundLocalError", "StopIteration", "AssertionError", "RuntimeError",
    "NotImplementedError", "UnicodeError", "UnicodeEncodeError", "UnicodeDecodeError",
})


def _de_number(value: float) -> str:
    return f"{value:,}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _kind(op: str) -> str:
    return "Ausdruck" if op == "eval" else "Skript"


def _script_line(exc: BaseException) -> int | None:
    """The line of the process owner's code where ``exc`` was raised (frames named <string>)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<string>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _safe_text(exc: BaseException) -> str:
    try:
        text = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__-like value
        text = ""
    return text[:1000]


class _Worker:
    def __init__(self, sandbox: Any, settings: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.memory_mb = int(settings.get("memory_mb") or 0)
        self.max_data_bytes = int(settings["max_data_bytes"])

    def _error(self, message: str, type_name: str = "SandboxError", *, line: int | None = None,
               recycle: bool = False) -> dict[str, Any]:
        return {"ok": False, "type": type_name, "message": message, "line": line, "recycle": recycle}

    def _too_big(self, op: str) -> dict[str, Any]:
        limit = _de_number(round(self.max_data_bytes / 2**20, 1)).rstrip("0").rstrip(",")
        return self._error(f"{_kind(op)} hat zu große Daten erzeugt (mehr als {limit} MB)")

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        sandbox = self.sandbox
        env = sandbox.RestrictedEnvironment(timeout=float(request["timeout"]))
        context = decode_value(request["context"])
        external = decode_value(request.get("external") or {})
        try:
            if op == "eval":
                result = env.evaluate(request["source"], context, external)
                body: dict[str, Any] = {"ok": True, "result": encode_value(result)}
            else:
                env.execute(request["source"], context, external)
                body = {"ok": True, "context": encode_value(context)}
        except sandbox.SandboxError as exc:
            return self._error(str(exc))
        except UnstorableValue as exc:
            return self._error(f"{_kind(op)} hat einen Wert erzeugt, der nicht gespeichert werden kann "
                               f"({exc.type_name})")
        except MemoryError:
            return self._memory_error(op)
        except RecursionError:
            return self._error(f"{_kind(op)} ist zu tief verschachtelt oder rekursiv", "RecursionError",
                               recycle=True)
        except Exception as exc:  # noqa: BLE001 - the script's own error, reported with its line
            name = type(exc).__name__
            if name not in REPORTED_TYPES:
                name = "Exception"
            return self._error(_safe_text(exc), name, line=_script_line(exc))
        except BaseException as exc:  # noqa: BLE001 - BaseException, SystemExit, GeneratorExit ...
            return self._error(
                f"{_kind(op)} hat eine nicht erlaubte Ausnahme ausgelöst ({type(exc).__name__})",
                recycle=True)
        return body

    def _memory_error(self, op: str) -> dict[str, Any]:
        limit = _de_number(self.memory_mb)
        return self._error(f"{_kind(op)} hat das Speicherlimit von {limit} MB überschritten", recycle=True)

    def respond(self, raw: bytes) -> tuple[bytes, bool]:
        op = "exec"
        try:
            request = json.loads(raw)
            op = request["op"]
            _set_cpu_limit(float(request["timeout"]))
            answer = self.handle(request)
            payload = json.dumps(answer, separators=(",", ":"), check_circular=False).encode()
            if answer.get("ok") and len(payload) > self.max_data_bytes:
                answer = self._too_big(op)
                payload = json.dumps(answer).encode()
        except MemoryError:
            answer = self._memory_error(op)
            payload = json.dumps(answer).encode()
        except RecursionError:
            answer = self._error("Die Daten sind zu tief verschachtelt", recycle=True)
            payload = json.dumps(answer).encode()
        except BaseException as exc:  # noqa: BLE001 - never leave the parent without an answer
            answer = self._error(f"Interner Fehler der Sandbox ({type(exc).__name__})", recycle=True)
            payload = json.dumps(answer).encode()
        return payload, bool(answer.get("recycle"))


def _set_cpu_limit(timeout: float) -> None:
    """Allow this call about ``timeout`` seconds of CPU (whole seconds: the kernel's unit) on top
    of what the process used so far; SIGXCPU ends the process beyond that."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = int(math.ceil(used + timeout)) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)  # only the soft limit moves (SIGXCPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _apply_limits(memory_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file is ever written
    if memory_mb > 0:
        with open("/proc/self/statm", "rb") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _load_sandbox() -> Any:
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox.py")
    spec = importlib.util.spec_from_file_location("fallwerk_sandbox", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    settings = json.loads(sys.argv[1])
    sandbox = _load_sandbox()
    import _strptime  # type: ignore[import-not-found]  # noqa: F401 - datetime's C code imports these lazily; load them now
    import resource  # noqa: F401

    # The protocol owns the original stdin/stdout; anything else writing to fd 0/1 goes nowhere.
    infd, outfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    worker = _Worker(sandbox, settings)
    _apply_limits(worker.memory_mb)
    write_frame(outfd, b'{"ready":true}')
    while True:
        raw = read_frame(infd)
        if raw is None:
            return 0  # the parent is gone or closed the pipe
        payload, recycle = worker.respond(raw)
        write_frame(outfd, payload)
        if recycle:
            return 0


if __name__ == "__main__":
    sys.exit(main())
