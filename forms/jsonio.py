"""JSON input for task forms: type checks, conversion to form data, binding, error output.

The JSON API and the browser share the WTForms classes. JSON input is first checked
against the form's JSON Schema (types, enums, formats, unknown fields), so that e.g.
``"abschluss_einleiten": "nein"`` is rejected instead of being coerced to ``True``. Then
it is flattened to WTForms form data and validated like an HTML submission.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields import Field, FieldList, FormField

from forms.base import FormContext, TaskForm, python_data

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DATE.fullmatch(value)) and bool(datetime.date.fromisoformat(value))


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and bool(datetime.datetime.fromisoformat(value))


# --- validate_json ------------------------------------------------------------------------


def validate_json(schema: dict[str, Any], data: object) -> dict[str, list[str]]:
    """Type-check API input against a form schema; German messages keyed like WTForms fields.

    Only type, enum, format and unknown-field errors are reported; required fields, lengths,
    ranges and cross-field rules are left to WTForms so that messages are not duplicated.
    ``null`` counts as "not given". Keys: ``"ergebnis"``, ``"ziele-0-frist"``; an error of the
    whole input has the key ``"_"``. An empty result means the input may go to WTForms.
    """
    if not isinstance(data, Mapping):
        return {"_": [gettext("Erwartet wird ein JSON-Objekt.")]}
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    found = list(validator.iter_errors(_without_nulls(data)))
    # A value of the wrong type gets only the type message (not also enum/format).
    wrong_type = {tuple(e.absolute_path) for e in found if e.validator == "type"}
    errors: dict[str, list[str]] = {}
    for error in found:
        if error.validator != "type" and tuple(error.absolute_path) in wrong_type:
            continue
        for key, message in _describe(error):
            messages = errors.setdefault(key, [])
            if message not in messages:
                messages.append(message)
    return errors


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _describe(error: SchemaError) -> Iterable[tuple[str, str]]:
    path = list(error.absolute_path)
    # Set on every error that a validator raised (the stubs also allow the unset marker).
    instance: Any = error.instance
    value: Any = error.validator_value
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = set(schema.get("properties", {}))
        for extra in sorted(set(instance) - known):
            yield _key([*path, extra]), gettext("Unbekanntes Feld.")
    elif error.validator == "type":
        yield _key(path), _type_message(value)
    elif error.validator == "enum":
        allowed = ", ".join(str(v) for v in value)
        yield _key(path), gettext("Ungültiger Wert. Erlaubt sind: %(allowed)s.", allowed=allowed)
    elif error.validator == "format":
        yield _key(path), _format_message(value)


def _key(path: list[Any]) -> str:
    """WTForms-style key: ziele-0-frist; an item of a list of scalars maps to the list."""
    if path and isinstance(path[-1], int):
        path = path[:-1]
    return "-".join(str(part) for part in path) or "_"


def _type_message(expected: str | list[str]) -> str:
    names = {
        "string": gettext("Text"),
        "integer": gettext("ganze Zahl"),
        "number": gettext("Zahl"),
        "boolean": gettext("Wahrheitswert (true oder false)"),
        "array": gettext("Liste"),
        "object": gettext("Objekt"),
    }
    types = [expected] if isinstance(expected, str) else list(expected)
    wanted = gettext(" oder ").join(names.get(t, t) for t in types)
    return gettext("Falscher Datentyp, erwartet wird: %(type)s.", type=wanted)


def _format_message(fmt: str) -> str:
    if fmt == "date":
        return gettext("Ungültiges Datum, erwartet wird JJJJ-MM-TT.")
    if fmt == "date-time":
        return gettext("Ungültiger Zeitpunkt, erwartet wird ISO 8601.")
    return gettext("Ungültiges Format.")


# --- json_to_formdata ---------------------------------------------------------------------


def json_to_formdata(data: Mapping[str, Any]) -> MultiDict:
    """Flatten JSON to WTForms form data.

    Lists of objects become ``ziele-0-beschreibung``; lists of scalars repeat the key;
    ``true`` becomes ``"y"``; ``false`` and ``null`` are left out; numbers become strings.
    """
    items: list[tuple[str, str]] = []
    _flatten("", data, items)
    return MultiDict(items)


def _flatten(prefix: str, value: Any, items: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{prefix}-{key}" if prefix else str(key), item, items)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                _flatten(f"{prefix}-{index}", item, items)
            else:
                _flatten(prefix, item, items)
    else:
        scalar = _scalar(value)
        if scalar is not None:
            items.append((prefix, scalar))


def _scalar(value: Any) -> str | None:
    if value is None or value is False:
        return None
    if value is True:
        return "y"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- form_errors --------------------------------------------------------------------------


def form_errors(form: Form) -> dict[str, list[str]]:
    """Flatten WTForms errors: {"ziele-0-frist": [...], "ergebnis": [...]}; form errors "_"."""
    errors: dict[str, list[str]] = {}
    for field in form:
        _collect(field, errors)
    if form.form_errors:
        errors["_"] = [str(m) for m in form.form_errors]
    return errors


def _collect(field: Field, errors: dict[str, list[str]]) -> None:
    if isinstance(field, FormField):
        for sub in field.form:
            _collect(sub, errors)
        return
    own = field.errors
    if isinstance(field, FieldList):
        for entry in field.entries:
            _collect(entry, errors)
        own = [e for e in field.errors if not isinstance(e, dict | list)]
    if own:
        errors[field.name] = [str(m) for m in own]


# --- bind_form ----------------------------------------------------------------------------


def bind_form(
    form_cls: type[TaskForm],
    ctx: FormContext,
    *,
    json_data: Mapping[str, Any] | None = None,
    formdata: Any = None,
    csrf: bool,
    current: Mapping[str, Any] | None = None,
) -> TaskForm:
    """Build and configure a task form for one of three situations.

    - JSON API submission: ``bind_form(cls, ctx, json_data=payload, csrf=False)``. Run
      ``validate_json(form_schema(form), payload)`` first (on a display-mode form or on this
      one), then ``form.validate()``; CSRF is always off for JSON.
    - HTML submission: ``bind_form(cls, ctx, formdata=request.form, csrf=True)``.
    - Display (GET, nothing submitted): ``bind_form(cls, ctx, csrf=True, current=values)``;
      the form is prefilled with ``cls.initial(ctx)`` overlaid by ``current`` (JSON-plain
      values, e.g. a draft or the task's current data).

    ``csrf=True`` keeps the app's setting (``WTF_CSRF_ENABLED``), ``csrf=False`` turns CSRF
    off. Form data is always passed explicitly, so Flask-WTF never reads the request itself.
    Afterwards ``form.configure(ctx)`` has been called; call ``form.validate()``, then
    ``form.to_task_data()`` or ``form_errors(form)``.
    """
    if json_data is not None and formdata is not None:
        raise ValueError("Pass either json_data or formdata, not both.")
    meta: dict[str, Any] = {} if csrf else {"csrf": False}
    if json_data is not None:
        form = form_cls(formdata=json_to_formdata(json_data), meta={"csrf": False})
    elif formdata is not None:
        form = form_cls(formdata=formdata, meta=meta)
    else:
        values = {**form_cls.initial(ctx), **(current or {})}
        form = form_cls(formdata=None, data=python_data(form_cls, values), meta=meta)
    form.configure(ctx)
    return form
