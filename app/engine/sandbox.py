"""Sandboxed script engine for SpiffWorkflow.

Script tasks, pre/post scripts, gateway and loop conditions, timer expressions and DMN cells are
Python code written by process owners in the browser, so running them is a security boundary.
Spiff's default ``TaskDataEnvironment`` runs plain ``eval``/``exec``; ``RestrictedEnvironment``
runs the same code through RestrictedPython instead:

* Compile time (``_SandboxPolicy``): RestrictedPython rejects names and attributes starting with
  ``_``, frame/generator/code introspection attributes, ``exec``/``eval`` calls, async code and
  ``nonlocal``; we additionally reject imports, class definitions, ``with`` and computed or huge
  f-string format specs. Every loop body, comprehension step, function and lambda gets a
  ``_tick_()`` call that enforces the time budget; ``*``, ``**``, ``<<``, ``+``,
  ``%`` and ``*iterable`` unpacking are routed through size-checking guards.
* Run time: an explicit allow-list of builtins (``open``, ``getattr``, ``type``, ``globals``, ...
  are stubs raising a readable ``SandboxError``; ``__import__`` only serves the two modules the
  C code of ``datetime`` imports itself). ``_getattr_`` blocks ``_*`` names, introspection
  attributes and ``str.format``/``format_map`` (format-string attribute access) and size-checks
  string padding/join/replace/translate and ``list.append/insert/extend`` (which also tick:
  as C callbacks, e.g. ``map(l.append, l)``, they would loop without running script code);
  ``range()``, ``sum()`` (numeric start only), ``round()`` and ``zip()`` are capped; ``print``
  output is discarded. Guards are applied *after* the task data, so data keys cannot replace
  them.

Why ``_tick_`` instead of ``sys.settrace``: on CPython 3.11 a one-line ``while True: pass``
compiles to a jump onto itself that emits no ``line`` event, so a trace function never regains
control. The injected ticks work in any thread and do not disturb debuggers or coverage. The
budget exception is a ``BaseException`` (``except Exception`` does not catch it) and after the
deadline every further tick raises again, so catching it cannot prolong a script.

Results: after a script, task data with more than ``MAX_DATA_NODES`` values (shared containers
counted at every occurrence, cycles never end) is refused and rolled back, because it is later
serialised, rendered and sent outside any budget; the same holds for expression results.

This module is the first wall and runs inside the sandbox processes of
``app/engine/isolation.py`` (loaded by path in ``sandbox_worker.py``, without the application).
What a guard inside the interpreter cannot stop — one long C call (``sorted`` of millions of
items a hundred times, ``str()`` of ``x = [x, x]`` sixty times), one huge allocation, a
``BaseException`` — is stopped by the operating system there: ``RLIMIT_AS``, ``RLIMIT_CPU`` and
the parent's wall-clock deadline, after which the process is killed and replaced. The web and
timer workers only call ``check_expression``/``check_script`` (compile, never run) themselves;
sources are length-limited and nesting too deep for the parser is reported, not raised.
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime as _dt
import functools
import operator
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from types import CodeType
from typing import Any, Literal, TypeGuard

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import (
    INSPECT_ATTRIBUTES,
    RestrictingNodeTransformer,
    copy_locations,
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

MAX_ITEMS = 1_000_000  # elements of a range / sequence / characters of a string
MAX_INT_BITS = 100_000  # ~30,000 decimal digits
MAX_ROUND_DIGITS = 1_000
MAX_EXPRESSION_CHARS = 20_000  # a condition, timer or due-date expression, a DMN cell
MAX_SCRIPT_CHARS = 200_000
MAX_DATA_NODES = 200_000  # values in task data / results, shared containers counted repeatedly
_SCRIPT_FILENAME = "<string>"  # Spiff looks for this name to report the failing line

Mode = Literal["eval", "exec"]


class SandboxError(Exception):
    """A script or expression was refused, did not compile or exceeded its budget."""

    #: for operations refused at run time: what was refused (German), else None
    what: str | None = None


def _blocked(what: str) -> SandboxError:
    """Error raised by the run-time guards (Spiff reports the class name, so no subclass)."""
    error = SandboxError(f"Nicht erlaubt im Skript: {what}")
    error.what = what
    return error


class _BudgetExceeded(BaseException):
    """Internal: not an ``Exception``, so ``except Exception`` in scripts cannot swallow it."""


def de_number(value: float) -> str:
    """1000000 -> "1.000.000", 0.5 -> "0,5"."""
    return f"{value:,}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


_de_number = de_number


def time_limit_message(mode: Mode, timeout: float) -> str:
    """"Skript hat das Zeitlimit von 1,0 s überschritten" (also used by the process pool)."""
    seconds = f"{timeout:g}"
    if "." not in seconds and "e" not in seconds:
        seconds += ".0"
    return f"{_kind(mode)} hat das Zeitlimit von {seconds.replace('.', ',')} s überschritten"


def _kind(mode: Mode) -> str:
    return "Ausdruck" if mode == "eval" else "Skript"


# --------------------------------------------------------------------------------------------
# Compile time
# --------------------------------------------------------------------------------------------

_TICK = "_tick_"
_BINOP_GUARDS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}

# RestrictedPython's English messages -> German descriptions of what is not allowed.
_TRANSLATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r'"(.+)" is an invalid variable name because it starts with "_"'),
     "der Name „{0}“ (Namen mit „_“ am Anfang sind gesperrt)"),
    (re.compile(r'"(.+)" is an invalid attribute name because it starts with "_"'),
     "Zugriff auf „{0}“ (Attribute mit „_“ am Anfang sind gesperrt)"),
    (re.compile(r'"(.+)" is an invalid \w+ name because it ends with "__roles__"'),
     "der Name „{0}“"),
    (re.compile(r'"(.+)" is a restricted name'), "Zugriff auf „{0}“"),
    (re.compile(r'"(.+)" is a reserved name'), "der reservierte Name „{0}“"),
    (re.compile(r"Exec calls are not allowed"), "exec()"),
    (re.compile(r"Eval calls are not allowed"), "eval()"),
    (re.compile(r"Augmented assignment of attributes"),
     "erweiterte Zuweisung (+=, -= …) an Attribute"),
    (re.compile(r"Augmented assignment of object items"),
     "erweiterte Zuweisung (+=, -= …) an Listen- oder Wörterbuch-Elemente, "
     "bitte x[k] = x[k] + 1 schreiben"),
    (re.compile(r"Unpacking in comprehensions"), "Entpacken (*) in Comprehensions"),
    (re.compile(r"(\w+) statements are not allowed"), "das Sprachelement „{0}“"),
]


def _translate(info: str) -> str:
    for pattern, german in _TRANSLATIONS:
        match = pattern.search(info)
        if match:
            return german.format(*match.groups())
    return info


def _name(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _call(name: str, args: list[ast.expr], location: ast.stmt | ast.expr) -> ast.Call:
    node = ast.Call(func=_name(name), args=args, keywords=[])
    copy_locations(node, location)
    return node


def _tick_stmt(location: ast.stmt | ast.expr) -> ast.Expr:
    node = ast.Expr(value=_call(_TICK, [], location))
    copy_locations(node, location)
    return node


class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus German messages, denied statements and budget hooks."""

    def error(self, node: ast.AST, info: str) -> None:
        self.errors.append(f"{getattr(node, 'lineno', None)}\x00{_translate(info)}")

    def deny(self, node: ast.AST, what: str) -> None:
        self.errors.append(f"{getattr(node, 'lineno', None)}\x00{what}")

    def visit_Import(self, node: ast.Import) -> None:
        self.deny(node, "Import von Modulen")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.deny(node, "Import von Modulen")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.deny(node, "Klassendefinitionen")

    def visit_With(self, node: ast.With) -> None:
        self.deny(node, "with-Anweisungen")

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick_stmt(node))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        new = self.guard_iter(node)
        assert isinstance(new, ast.For)
        new.body.insert(0, _tick_stmt(new))
        return new

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        new = self.guard_iter(node)
        assert isinstance(new, ast.comprehension)
        tick = ast.UnaryOp(op=ast.Not(), operand=_call(_TICK, [], new.iter))
        copy_locations(tick, new.iter)
        new.ifs.insert(0, tick)
        return new

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        new = super().visit_FunctionDef(node)
        assert isinstance(new, ast.FunctionDef)
        new.body.insert(0, _tick_stmt(new))
        return new

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        new = super().visit_Lambda(node)
        assert isinstance(new, ast.Lambda)
        # `_tick_()` returns None, so `None or body` evaluates to the body.
        body = ast.BoolOp(op=ast.Or(), values=[_call(_TICK, [], new.body), new.body])
        copy_locations(body, new.body)
        new.body = body
        return new

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        new = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(new.op))
        if guard is None:
            return new
        return _call(guard, [new.left, new.right], new)

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        new = self.node_contents_visit(node)
        if isinstance(new.ctx, ast.Load):  # [*a, *b], f(*a): C-level copies, check the size
            new.value = _call("_star_", [new.value], new.value)
        return new

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        new = self.node_contents_visit(node)
        spec = new.format_spec
        if isinstance(spec, ast.JoinedStr):
            for part in spec.values:
                if not isinstance(part, ast.Constant):
                    self.deny(node, "berechnete Formatangaben in f-Strings")
                elif re.search(r"\d{7,}", str(part.value)):
                    self.deny(node, "Formatbreiten über 1.000.000 Zeichen")
        return new


_COMPILE_LOCK = threading.Lock()


def _format_errors(mode: Mode, errors: Iterable[str]) -> str:
    parts = []
    for entry in dict.fromkeys(errors):  # de-duplicate, keep order
        lineno, _, what = entry.partition("\x00")
        if mode == "exec" and lineno not in ("", "None"):
            what = f"{what} (Zeile {lineno})"
        parts.append(what)
    return f"Nicht erlaubt im {_kind(mode)}: " + "; ".join(parts)


def _syntax_message(mode: Mode, exc: SyntaxError | ValueError) -> str:
    if isinstance(exc, SyntaxError):
        detail = exc.msg
        if mode == "exec" and exc.lineno:
            return f"Syntaxfehler im {_kind(mode)} (Zeile {exc.lineno}): {detail}"
    else:
        detail = str(exc)
    return f"Syntaxfehler im {_kind(mode)}: {detail}"


@functools.lru_cache(maxsize=2048)
def _compile(source: str, mode: Mode) -> tuple[CodeType | None, str | None]:
    """Compile with the sandbox policy; return (code, None) or (None, German message)."""
    if mode == "eval":
        source = source.strip()  # eval() tolerates surrounding whitespace, ast.parse does not
    limit = MAX_EXPRESSION_CHARS if mode == "eval" else MAX_SCRIPT_CHARS
    if len(source) > limit:
        return None, f"{_kind(mode)} ist zu lang (mehr als {de_number(limit)} Zeichen)"
    try:
        return _compile_checked(source, mode)
    except (RecursionError, MemoryError):
        # e.g. "1" + "+1" * 30000 or "not " * 5000: the parser or the policy's tree walk
        # recurses once per level.
        return None, f"{_kind(mode)} ist zu tief verschachtelt"


def _compile_checked(source: str, mode: Mode) -> tuple[CodeType | None, str | None]:
    # catch_warnings is process-global: the lock keeps our own compiles from interleaving.
    with _COMPILE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning / DeprecationWarning for odd literals
        try:
            tree = ast.parse(source, _SCRIPT_FILENAME, mode)
        except (SyntaxError, ValueError) as exc:
            return None, _syntax_message(mode, exc)
        compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        try:
            result = compiler(tree, _SCRIPT_FILENAME, policy=_SandboxPolicy)  # type: ignore[arg-type]  # parse(mode=Mode) is typed as mod
        except (SyntaxError, ValueError) as exc:  # e.g. 'return' outside function
            return None, _syntax_message(mode, exc)
    if result.errors:
        return None, _format_errors(mode, result.errors)
    return result.code, None


def check_expression(source: str) -> str | None:
    """Return a German error message if ``source`` is not an allowed expression, else None."""
    return _compile(source or "", "eval")[1]


def check_script(source: str) -> str | None:
    """Return a German error message if ``source`` is not an allowed script, else None."""
    return _compile(source or "", "exec")[1]


# --------------------------------------------------------------------------------------------
# Run time guards
# --------------------------------------------------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)
_TOO_MANY = f"Ergebnis mit mehr als {_de_number(MAX_ITEMS)} Elementen bzw. Zeichen"
_TOO_BIG_INT = f"Zahl mit mehr als {_de_number(MAX_INT_BITS)} Bit"


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int)


def _check_add(a: object, b: object) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_ITEMS:
        raise _blocked(_TOO_MANY)


def _check_mul(a: object, b: object) -> None:
    if _is_int(a) and _is_int(b):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise _blocked(_TOO_BIG_INT)
        return
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, _SEQUENCES) and _is_int(times):
            if len(seq) * times > MAX_ITEMS:
                raise _blocked(_TOO_MANY)


def _check_pow(a: object, b: object) -> None:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        if a.bit_length() * b > MAX_INT_BITS:
            raise _blocked(_TOO_BIG_INT)


def _check_lshift(a: object, b: object) -> None:
    if _is_int(a) and _is_int(b) and a and a.bit_length() + b > MAX_INT_BITS:
        raise _blocked(_TOO_BIG_INT)


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_mod(a: object, b: object) -> None:
    if isinstance(a, bytes):
        a = a.decode("latin-1")
    if not isinstance(a, str):
        return
    for match in _PERCENT_SPEC.finditer(a):
        for group in match.groups():
            if group == "*":
                raise _blocked("Stern (*) als Breite in %-Formatierung")
            if group and len(group) > 6 and int(group) > MAX_ITEMS:
                raise _blocked(_TOO_MANY)


def _guarded(
    check: Callable[[Any, Any], None], op: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    def guard(a: Any, b: Any) -> Any:
        check(a, b)
        return op(a, b)

    return guard


_NO_CHECK: Callable[[Any, Any], None] = lambda a, b: None  # noqa: E731

_INPLACE: dict[str, tuple[Callable[[Any, Any], None], Callable[[Any, Any], Any]]] = {
    "+=": (_check_add, operator.iadd),
    "-=": (_NO_CHECK, operator.isub),
    "*=": (_check_mul, operator.imul),
    "/=": (_NO_CHECK, operator.itruediv),
    "//=": (_NO_CHECK, operator.ifloordiv),
    "%=": (_check_mod, operator.imod),
    "**=": (_check_pow, operator.ipow),
    "<<=": (_check_lshift, operator.ilshift),
    ">>=": (_NO_CHECK, operator.irshift),
    "&=": (_NO_CHECK, operator.iand),
    "|=": (_NO_CHECK, operator.ior),
    "^=": (_NO_CHECK, operator.ixor),
    "@=": (_NO_CHECK, operator.imatmul),
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    try:
        check, apply = _INPLACE[op]
    except KeyError:
        raise _blocked(f"Operator {op}") from None
    if op == "+=" and isinstance(x, list) and not isinstance(y, _SEQUENCES):
        y = list(y)  # `l += map(f, l)` would otherwise extend l while iterating it, in C
    check(x, y)
    return apply(x, y)


# Methods that can build huge results from small inputs: name -> (receiver types, check).
# A check receives (receiver, args, kwargs) and returns the (possibly materialised) args.
ArgCheck = Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[Any, ...]]


def _check_width(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    width = args[0] if args else kwargs.get("width")
    if _is_int(width) and width > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return args


def _check_expandtabs(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    size = args[0] if args else kwargs.get("tabsize", 8)
    tab = "\t" if isinstance(obj, str) else b"\t"
    if _is_int(size) and len(obj) + obj.count(tab) * size > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return args


def _check_join(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if not args:
        return args
    items = list(args[0])
    total = sum(len(i) for i in items if isinstance(i, (str, bytes)))
    if total + len(obj) * max(len(items) - 1, 0) > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return (items, *args[1:])


def _check_replace(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    try:
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        hits = obj.count(old) if old else len(obj) + 1
        if count >= 0:
            hits = min(hits, count)
        grows_to = len(obj) + hits * (len(new) - len(old))
    except (IndexError, TypeError):
        return args  # let the real call report wrong arguments
    if grows_to > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return args


def _check_to_bytes(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    length = args[0] if args else kwargs.get("length", 1)
    if _is_int(length) and length > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return args


def _check_translate(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    table = args[0] if args else None
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        if len(obj) * longest > MAX_ITEMS:
            raise _blocked(_TOO_MANY)
    return args


def _check_grow(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    # append/insert passed as a C callback (`list(map(l.append, l))`) would grow the list it
    # iterates without running any script code, so the wrapper itself enforces the budget.
    _tick_active()
    if len(obj) >= MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return args


def _check_extend(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    _tick_active()
    if not args:
        return args
    items = args[0]
    if not isinstance(items, _SEQUENCES + (dict, set, frozenset, range)):
        items = list(items)  # `l.extend(map(f, l))` would otherwise never end
    if len(obj) + len(items) > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return (items, *args[1:])


_SIZED_METHODS: dict[str, tuple[tuple[type, ...], ArgCheck]] = {
    "ljust": ((str, bytes), _check_width),
    "rjust": ((str, bytes), _check_width),
    "center": ((str, bytes), _check_width),
    "zfill": ((str, bytes), _check_width),
    "expandtabs": ((str, bytes), _check_expandtabs),
    "join": ((str, bytes), _check_join),
    "replace": ((str, bytes), _check_replace),
    "translate": ((str,), _check_translate),
    "to_bytes": ((int,), _check_to_bytes),
    "extend": ((list,), _check_extend),
    "append": ((list,), _check_grow),
    "insert": ((list,), _check_grow),
}


def _sized_method(obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any] | None:
    entry = _SIZED_METHODS.get(name)
    if entry is None:
        return None
    types, check = entry
    if isinstance(obj, types):

        def bound(*args: Any, **kwargs: Any) -> Any:
            return method(*check(obj, args, kwargs), **kwargs)

        return bound
    if isinstance(obj, type) and issubclass(obj, types):

        def unbound(receiver: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(receiver, types):
                args = check(receiver, args, kwargs)
            return method(receiver, *args, **kwargs)

        return unbound
    return None


def _getattr(obj: Any, name: str) -> Any:
    if not isinstance(name, str) or name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise _blocked(f"Zugriff auf das Attribut „{name}“")
    if name in ("format", "format_map") and (
        isinstance(obj, str) or (isinstance(obj, type) and issubclass(obj, str))
    ):
        raise _blocked("str.format() und format_map(), bitte f-Strings verwenden")
    value = safer_getattr_raise(obj, name)  # RestrictedPython's checks as a second layer
    wrapped = _sized_method(obj, name, value)
    return value if wrapped is None else wrapped


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _range(*args: Any) -> range:
    result = range(*args)
    try:
        too_long = len(result) > MAX_ITEMS
    except OverflowError:
        too_long = True
    if too_long:
        raise _blocked(f"range() mit mehr als {_de_number(MAX_ITEMS)} Elementen")
    return result


def _sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    if not isinstance(start, (int, float, _dt.timedelta)):
        raise _blocked("sum() mit einem Startwert, der keine Zahl oder Zeitspanne ist")
    return sum(iterable, start)


def _round(number: Any, ndigits: int | None = None) -> Any:
    if _is_int(ndigits) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise _blocked(f"round() mit mehr als {_de_number(MAX_ROUND_DIGITS)} Stellen")
    return round(number, ndigits)


def _zip(*iterables: Any, **kwargs: Any) -> zip:
    sizes = [len(i) for i in iterables if isinstance(i, _SEQUENCES + (dict, set, range))]
    if len(iterables) > 1 and sizes and min(sizes) * len(iterables) > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return zip(*iterables, **kwargs)  # noqa: B905 - strict= is passed through kwargs


def _star(value: Any) -> Any:
    if isinstance(value, _SEQUENCES + (dict, set, frozenset, range)) and len(value) > MAX_ITEMS:
        raise _blocked(_TOO_MANY)
    return value


# C code inside allowed objects imports helpers through the `__import__` of the calling frame's
# builtins (datetime.strftime/today -> time, datetime.strptime -> _strptime). Scripts cannot
# name `__import__` (underscore) and import statements are rejected at compile time.
_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})


def _internal_import(
    name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
) -> Any:
    if level == 0 and name in _INTERNAL_IMPORTS:
        return builtins.__import__(name, globals, locals, fromlist, level)
    raise _blocked("Import von Modulen")


class _DiscardPrint:
    """``print`` in scripts: output is dropped without converting anything to text (``str()``
    of a value like ``x = [x, x]`` repeated 60 times would never finish)."""

    def __init__(self, _getattr_: Any = None) -> None:
        pass

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        return None

    def __call__(self) -> str:  # the `printed` variable of RestrictedPython
        return ""


def _refused(name: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise _blocked(f"die Funktion {name}()")

    refused.__name__ = name
    return refused


_ALLOWED_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
        "isinstance", "len", "list", "map", "max", "min", "next", "reversed", "set", "sorted",
        "str", "tuple",
        # exceptions scripts may raise or catch (all subclasses of Exception)
        "Exception", "ArithmeticError", "AttributeError", "IndexError", "KeyError",
        "LookupError", "NameError", "TypeError", "ValueError", "ZeroDivisionError",
    )
}
_ALLOWED_BUILTINS.update({
    "None": None, "True": True, "False": False,
    "range": _range, "sum": _sum, "round": _round, "zip": _zip,
    "datetime": _dt.datetime, "date": _dt.date, "timedelta": _dt.timedelta,
    "__import__": _internal_import,
})
# Dangerous builtins get a stub with a readable message instead of a bare NameError.
for _refused_name in (
    "open", "eval", "exec", "compile", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "hasattr", "type", "dir", "id", "input", "breakpoint", "help", "exit", "quit",
    "memoryview", "object", "super", "classmethod", "staticmethod", "property", "format",
    "iter", "callable", "issubclass", "bytes", "bytearray",
):
    _ALLOWED_BUILTINS[_refused_name] = _refused(_refused_name)

_STATIC_GUARDS: dict[str, Any] = {
    "__builtins__": _ALLOWED_BUILTINS,
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,  # item writes on dict/list only, no attribute writes
    "_inplacevar_": _inplacevar,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_apply_": _apply,
    "_star_": _star,
    "_print_": _DiscardPrint,
    "_add_": _guarded(_check_add, operator.add),
    "_mul_": _guarded(_check_mul, operator.mul),
    "_pow_": _guarded(_check_pow, operator.pow),
    "_lshift_": _guarded(_check_lshift, operator.lshift),
    "_mod_": _guarded(_check_mod, operator.mod),
}


# --------------------------------------------------------------------------------------------
# Time budget
# --------------------------------------------------------------------------------------------

_active = threading.local()  # .budget: the budget of the call running in this thread


def _tick_active() -> None:
    budget: _Budget | None = getattr(_active, "budget", None)
    if budget is None:
        raise SandboxError("Skriptcode wurde außerhalb seiner Ausführung aufgerufen")
    budget.tick()


_CONTAINERS = (list, tuple, set, frozenset)


def _data_nodes(value: Any, limit: int = MAX_DATA_NODES) -> int:
    """Values in the tree under ``value``, counting shared containers at every occurrence (as a
    serialiser would); stops just past ``limit``, so cycles and ``x = [x, x]`` bombs are cheap
    (~0.5 µs per value)."""
    count = 0
    stack = [value]
    pop, push_all = stack.pop, stack.extend
    while stack:
        item = pop()
        count += 1
        if count > limit:
            break
        if isinstance(item, dict):
            push_all(item.values())
        elif isinstance(item, _CONTAINERS):
            push_all(item)
    return count


_TOO_MUCH_DATA = (
    f"{{kind}} hat zu große oder zirkuläre Daten erzeugt (mehr als "
    f"{_de_number(MAX_DATA_NODES)} Einträge, gemeinsam genutzte Teile mehrfach gezählt)"
)


class _Budget:
    """Deadline of one evaluate/execute call; ``tick`` enforces it."""

    __slots__ = ("timeout", "deadline", "exceeded", "closed")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.exceeded: str | None = None  # "time" once tripped
        self.closed = False

    def tick(self) -> None:
        if self.closed:  # e.g. a generator left in task data and resumed later
            raise SandboxError("Skriptcode wurde außerhalb seiner Ausführung aufgerufen")
        if self.exceeded is not None:
            raise _BudgetExceeded
        if time.monotonic() > self.deadline:
            self.exceeded = "time"
            raise _BudgetExceeded

    def message(self, mode: Mode) -> str:
        return time_limit_message(mode, self.timeout)


# --------------------------------------------------------------------------------------------
# Environment and engine
# --------------------------------------------------------------------------------------------

class RestrictedEnvironment(TaskDataEnvironment):
    """``TaskDataEnvironment`` with RestrictedPython, an allow-list of builtins and a budget.

    ``environment_globals`` are trusted helpers offered to scripts (as in Spiff); they are
    called without any sandboxing, so only pass functions that are safe for any input.
    """

    def __init__(
        self,
        environment_globals: dict[str, Any] | None = None,
        timeout: float = 1.0,
    ) -> None:
        super().__init__(environment_globals)
        self.timeout = timeout

    def _code(self, source: str, mode: Mode) -> CodeType:
        if not isinstance(source, str):
            kind = "gültiger Ausdruck" if mode == "eval" else "gültiges Skript"
            raise SandboxError(f"Kein {kind}: {type(source).__name__}")
        code, error = _compile(source, mode)
        if error is not None:
            raise SandboxError(error)
        assert code is not None
        return code

    def _run(self, mode: Mode, namespace: dict[str, Any], run: Callable[[], Any]) -> Any:
        budget = _Budget(self.timeout)
        namespace.update(_STATIC_GUARDS)  # after the task data: data cannot replace guards
        namespace[_TICK] = budget.tick
        outer_budget = getattr(_active, "budget", None)
        _active.budget = budget
        try:
            result = run()
        except SandboxError as exc:
            if budget.exceeded is not None:
                raise SandboxError(budget.message(mode)) from None
            if mode == "exec" or exc.what is None:
                raise
            error = SandboxError(f"Nicht erlaubt im Ausdruck: {exc.what}")
            error.what = exc.what
            raise error from None
        except BaseException:
            if budget.exceeded is None:
                raise
            raise SandboxError(budget.message(mode)) from None
        finally:
            budget.closed = True
            _active.budget = outer_budget
        if budget.exceeded is not None:  # the script swallowed the budget exception
            raise SandboxError(budget.message(mode))
        return result

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict | None = None
    ) -> Any:
        code = self._code(expression, "eval")
        my_globals = copy.copy(self.globals)
        self._prepare_context(context)
        my_globals.update(external_context or {})
        my_globals.update(context)
        result = self._run("eval", my_globals, lambda: eval(code, my_globals))
        # Results end up in task data (DMN outputs), which is serialised outside any budget.
        if _data_nodes(result) > MAX_DATA_NODES:
            raise SandboxError(_TOO_MUCH_DATA.format(kind="Ausdruck"))
        return result

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict | None = None
    ) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = self._code(script, "exec")
        before = dict(context)
        # Scripts cannot name anything starting with "_"; such data keys are restored as-is.
        hidden = {key: value for key, value in context.items() if key.startswith("_")}
        my_globals = copy.copy(self.globals)
        self._prepare_context(context)
        my_globals.update(external_context or {})
        context.update(my_globals)
        try:
            self._run("exec", context, lambda: exec(code, context))
        finally:
            for key in [key for key in context if key.startswith("_")]:
                del context[key]  # guards, the print collector, __builtins__
            self._remove_globals_and_functions_from_context(context, external_context)
            context.update(hidden)
        # Task data is serialised, rendered and sent outside any budget: refuse (and roll back)
        # results a serialiser could not handle. In-place changes to nested values remain.
        if _data_nodes(list(context.values())) > MAX_DATA_NODES:
            context.clear()
            context.update(before)
            raise SandboxError(_TOO_MUCH_DATA.format(kind="Skript"))
        return True
