"""Base classes and helpers shared by all task forms.

A task form is a WTForms class that validates one BPMN user task, both as an HTML form
(browser, with CSRF) and as JSON (API, without CSRF). The engine only ever sees the
JSON-plain result of :meth:`TaskForm.to_task_data`.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import (
    DateField,
    DateTimeField,
    DecimalField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SubmitField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation, ValidationError

#: Field names that never end up in the task data.
SKIPPED_FIELDS = frozenset({"csrf_token", "submit"})


@dataclass
class FormContext:
    """Everything a form needs to know about the case it is shown for.

    ``data`` is the case's workflow data (JSON-plain), ``today`` the reference date for
    "in the future" rules, ``volunteers`` the selectable volunteers as (username, label).
    """

    data: dict[str, Any]
    today: datetime.date
    volunteers: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def strip_text(value: Any) -> Any:
    """Filter: strip surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


class SubForm(Form):
    """Base class of forms nested via ``FieldList(FormField(...))``.

    Nested forms never carry their own CSRF token and use the same (Flask-Babel based)
    translations for WTForms' built-in messages as the enclosing FlaskForm.
    """

    class Meta:
        csrf = False

        def get_translations(self, form: Form) -> Any:
            from flask_wtf.i18n import translations

            return translations


class EntryCount:
    """Validator for a FieldList: the number of entries must lie within [min, max].

    ``form_schema`` exports it as ``minItems`` / ``maxItems``.
    """

    def __init__(
        self,
        min: int = 0,
        max: int | None = None,
        *,
        min_message: Any,
        max_message: Any | None = None,
    ) -> None:
        self.min = min
        self.max = max
        self.min_message = min_message
        self.max_message = max_message if max_message is not None else min_message

    def __call__(self, form: Form, field: FieldList) -> None:
        count = len(field.entries)
        if count < self.min:
            raise ValidationError(self.min_message)
        if self.max is not None and count > self.max:
            raise ValidationError(self.max_message)


class StopOnInvalidInput:
    """Validator: stop if the input could not be converted (e.g. not a date).

    WTForms' own conversion message stays the only error, and later checks (ranges,
    ``validate_<field>``) never see ``None`` from a failed conversion.
    """

    field_flags: ClassVar[dict[str, Any]] = {}

    def __call__(self, form: Form, field: Any) -> None:
        if field.process_errors:
            raise StopValidation()


#: NUL and lone UTF-16 surrogates: no database stores them (PostgreSQL refuses NUL, neither
#: driver can encode a lone surrogate), so text containing them is refused as input.
UNSAFE_CHARS = re.compile("[\x00\ud800-\udfff]")
#: Largest integer accepted from input: the range of an SQL ``integer`` column (PostgreSQL).
MAX_INT = 2**31 - 1
#: Largest absolute decimal accepted from input (no column holds more; keeps ``Decimal`` sane).
MAX_DECIMAL = 10**12

UNSAFE_TEXT_MESSAGE = _l("Die Eingabe enthält unzulässige Zeichen (z. B. ein Nullzeichen). "
                         "Bitte entfernen Sie sie.")
NOT_FINITE_MESSAGE = _l("Bitte eine gültige Zahl angeben.")
TOO_LARGE_MESSAGE = _l("Die Zahl ist zu groß.")


def has_unsafe_chars(text: str) -> bool:
    """True if ``text`` holds a NUL character or a lone surrogate (see :data:`UNSAFE_CHARS`).

    Also checks every SQL parameter (app/bounds.py), hence the fast paths in C.
    """
    if "\x00" in text:
        return True
    return not text.isascii() and UNSAFE_CHARS.search(text) is not None


def input_problem(field: Any) -> Any | None:
    """The message for input no database can store or no rule can compare, else ``None``.

    Text with NUL or a lone surrogate; numbers that are NaN, infinite or beyond the column
    ranges. Fields whose value was already refused on conversion, and choice fields (their
    value must be one of the choices anyway) are left to their own checks.
    """
    if field.process_errors or (getattr(field, "choices", None) is not None
                                and getattr(field, "validate_choice", False)):
        return None
    raw = field.raw_data or ()
    if any(isinstance(value, str) and has_unsafe_chars(value) for value in raw):
        return UNSAFE_TEXT_MESSAGE
    data = field.data
    if isinstance(field, DecimalField | FloatField) and isinstance(data, Decimal | float):
        if not (data.is_finite() if isinstance(data, Decimal) else math.isfinite(data)):
            return NOT_FINITE_MESSAGE
        if abs(Decimal(data)) >= MAX_DECIMAL:  # exact for floats too, and one type for mypy
            return TOO_LARGE_MESSAGE
    if isinstance(field, IntegerField) and isinstance(data, int) and abs(data) > MAX_INT:
        return TOO_LARGE_MESSAGE
    return None


def _leaf_fields(fields: Any) -> Iterator[Any]:
    for form_field in fields:
        if isinstance(form_field, FormField):
            yield from _leaf_fields(form_field.form)
        elif isinstance(form_field, FieldList):
            yield from _leaf_fields(form_field.entries)
        else:
            yield form_field


class _Refuse:
    """Validator put first on a field with unusable input: its message, nothing else runs."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Form, field: Any) -> None:
        raise StopValidation(self.message)


def refuse_unusable_input(form: Form) -> bool:
    """Mark every field of ``form`` (nested ones too) whose input :func:`input_problem` refuses.

    The marked field gets only that message next to it and none of its other rules run (a
    rule comparing ``NaN`` would raise); a refused number counts as "not given" for the rules
    of other fields, like a number that could not be converted. True if anything was marked.
    """
    marked = False
    for form_field in _leaf_fields(form):
        message = input_problem(form_field)
        if message is None:
            continue
        marked = True
        if isinstance(form_field.data, Decimal | float | int) and not isinstance(form_field.data, bool):
            form_field.data = None
        form_field.validators = [_Refuse(message), *form_field.validators]
    return marked


class AppForm(FlaskForm):
    """Base class of every form of the application (HTML and JSON).

    Before the form's own rules run, input that no database can store or no rule can compare
    (NUL, lone surrogates, NaN/Infinity, numbers beyond the column ranges) is refused with a
    German message next to its field, so a bad submission is shown again and nothing is saved.
    """

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        refuse_unusable_input(self)
        return super().validate(extra_validators=extra_validators)


class TaskForm(AppForm):
    """Base class of all task forms.

    Subclasses set ``title`` (German, lazy) and may override :meth:`configure` (dynamic
    choices, context for validators) and :meth:`initial` (defaults of a fresh form).
    """

    title: ClassVar[Any] = ""
    _ctx: FormContext | None = None

    def configure(self, ctx: FormContext) -> None:
        """Adapt the form to a case; subclasses call ``super().configure(ctx)`` first."""
        self._ctx = ctx

    @property
    def ctx(self) -> FormContext:
        """The context given to :meth:`configure`, or an empty one for today."""
        if self._ctx is None:
            return FormContext(data={}, today=datetime.date.today())
        return self._ctx

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        """JSON-plain default values of a fresh form (no defaults by default)."""
        return {}

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """Validate; a form that was never configured gets an empty context first."""
        if self._ctx is None:
            self.configure(self.ctx)
        return super().validate(extra_validators=extra_validators)

    def to_task_data(self) -> dict[str, Any]:
        """The submitted values as JSON-plain data for the workflow."""
        return {
            name: json_plain(form_field.data)
            for name, form_field in self._fields.items()
            if name not in SKIPPED_FIELDS and not isinstance(form_field, SubmitField)
        }


def json_plain(value: Any) -> Any:
    """Convert form data (dates, decimals, nested lists/dicts) to JSON-plain values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): json_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_plain(item) for item in value]
    raise TypeError(f"Cannot store a value of type {type(value).__name__} in task data")


def python_data(form_cls: type[Form], data: Mapping[str, Any]) -> dict[str, Any]:
    """Convert JSON-plain values (e.g. from the workflow) to values usable as form ``data=``.

    Inverse of :meth:`TaskForm.to_task_data`: ISO strings become dates, numbers in decimal
    fields become ``Decimal``; nested lists of objects are converted recursively. Keys that
    are not fields of ``form_cls`` are dropped; unparsable values become ``None``.
    """
    fields = dict(_unbound_fields(form_cls))
    return {name: _to_python(fields[name], value) for name, value in data.items() if name in fields}


def _unbound_fields(form_cls: type[Form]) -> Iterator[tuple[str, UnboundField]]:
    for name in dir(form_cls):
        if not name.startswith("_"):
            value = getattr(form_cls, name, None)
            if isinstance(value, UnboundField):
                yield name, value


def _to_python(unbound: UnboundField, value: Any) -> Any:
    field_class = unbound.field_class
    if value is None:
        return None
    if issubclass(field_class, FieldList):
        inner = unbound.args[0] if unbound.args else unbound.kwargs["unbound_field"]
        return [_to_python(inner, item) for item in value] if isinstance(value, list) else None
    if issubclass(field_class, FormField):
        form_class = unbound.args[0] if unbound.args else unbound.kwargs["form_class"]
        return python_data(form_class, value) if isinstance(value, Mapping) else None
    if issubclass(field_class, DateField):
        return _parse(value, datetime.date, datetime.date.fromisoformat)
    if issubclass(field_class, DateTimeField):
        return _parse(value, datetime.datetime, datetime.datetime.fromisoformat)
    if issubclass(field_class, DecimalField):
        return _to_decimal(value)
    return value


def _parse(value: Any, kind: type, parser: Any) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return parser(value)
    except (TypeError, ValueError):
        return None


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def parse_iso_date(value: Any) -> datetime.date | None:
    """Parse a stored ISO date ('YYYY-MM-DD'); anything else gives ``None``."""
    return _parse(value, datetime.date, datetime.date.fromisoformat)


def german_date(value: datetime.date) -> str:
    """A date in the reader's locale through Flask-Babel, e.g. 05.03.2025 in German."""
    return format_date(value, "medium")
