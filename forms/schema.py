"""JSON Schema (draft 2020-12) export of task forms, as described in api-v1.md "Form schema"."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from wtforms import Form
from wtforms.fields import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from forms.base import SKIPPED_FIELDS, EntryCount, TaskForm

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def form_schema(form: TaskForm) -> dict[str, Any]:
    """JSON Schema of a (configured) task form instance; lazy strings are resolved."""
    return {
        "$schema": SCHEMA_DIALECT,
        "title": str(form.title),
        **_object_schema(form),
    }


def _object_schema(form: Form) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in form._fields.items():
        if name in SKIPPED_FIELDS or isinstance(field, SubmitField):
            continue
        properties[name] = field_schema(field)
        if _is_required(field, properties[name]):
            required.append(name)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def field_schema(field: Field) -> dict[str, Any]:
    """Schema of one bound field, with "title" and (if set) "description"."""
    schema: dict[str, Any] = {"title": str(field.label.text)}
    if field.description:
        schema["description"] = str(field.description)
    schema.update(_type_schema(field))
    if (field.render_kw or {}).get("readonly"):
        schema["readOnly"] = True
    return schema


def _type_schema(field: Field) -> dict[str, Any]:
    if isinstance(field, FieldList):
        return _list_schema(field)
    if isinstance(field, FormField):
        return _object_schema(field.form)
    if isinstance(field, BooleanField):
        return {"type": "boolean"}
    if isinstance(field, DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, IntegerField):
        return {"type": "integer", **_range(field)}
    if isinstance(field, DecimalField | FloatField):
        return {"type": "number", **_range(field)}
    if isinstance(field, SelectMultipleField):
        return _multi_select_schema(field)
    if isinstance(field, SelectField):
        return {"type": "string", **_enum(field)}
    if isinstance(field, TextAreaField):
        return {"type": "string", "format": "textarea", **_length(field)}
    if isinstance(field, StringField):
        return {"type": "string", **_length(field)}
    return {"type": "string"}


def _list_schema(field: FieldList) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": _type_schema(_sample_entry(field))}
    minimum, maximum = _entry_bounds(field)
    if minimum:
        schema["minItems"] = minimum
    if maximum is not None:
        schema["maxItems"] = maximum
    return schema


def _sample_entry(field: FieldList) -> Field:
    """An entry of the list (a fresh unbound one if the list is empty)."""
    if field.entries:
        return field.entries[0]
    options = {"name": f"{field.name}-0", "_meta": field.meta}
    entry = field.meta.bind_field(field._form, field.unbound_field, options)  # type: ignore[attr-defined]  # the list's form
    entry.process(None)
    return entry


def _entry_bounds(field: FieldList) -> tuple[int, int | None]:
    minimum, maximum = field.min_entries or 0, field.max_entries
    for validator in field.validators:
        if isinstance(validator, EntryCount):
            minimum = max(minimum, validator.min)
            if validator.max is not None:
                maximum = validator.max if maximum is None else min(maximum, validator.max)
    return minimum, maximum


def _multi_select_schema(field: SelectMultipleField) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string", **_enum(field)}}
    schema["uniqueItems"] = True
    if _has_required_validator(field):
        schema["minItems"] = 1
    return schema


def _enum(field: SelectField) -> dict[str, Any]:
    """Enum of the choice values; empty values (placeholders) are left out."""
    # WTForms 3.3 yields SelectChoice objects; types-WTForms (3.2) still says tuples.
    options: Iterable[Any] = field.iter_choices()
    choices = [c for c in options if str(c.value) != ""]
    return {
        "enum": [str(c.value) for c in choices],
        "x-labels": {str(c.value): str(c.label) for c in choices},
    }


def _range(field: Field) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, NumberRange):
            if validator.min is not None:
                bounds["minimum"] = _number(validator.min)
            if validator.max is not None:
                bounds["maximum"] = _number(validator.max)
    return bounds


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        value = float(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _length(field: Field) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, Length):
            if validator.max is not None and validator.max >= 0:
                bounds["maxLength"] = validator.max
            if validator.min is not None and validator.min > 0:
                bounds["minLength"] = validator.min
    return bounds


def _has_required_validator(field: Field) -> bool:
    return any(isinstance(v, DataRequired | InputRequired) for v in field.validators)


def _is_required(field: Field, schema: dict[str, Any]) -> bool:
    if isinstance(field, FieldList):
        return schema.get("minItems", 0) >= 1
    return _has_required_validator(field)
