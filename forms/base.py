"""Base classes and helpers shared by all task forms.

A task form is a WTForms class that validates one BPMN user task, both as an HTML form
(browser, with CSRF) and as JSON (API, without CSRF). The engine only ever sees the
JSON-plain result of :meth:`TaskForm.to_task_data`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import (
    DateField,
    DateTimeField,
    DecimalField,
    FieldList,
    FormField,
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


class TaskForm(FlaskForm):
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
    """Format a date the German way, e.g. 05.03.2025."""
    return value.strftime("%d.%m.%Y")
