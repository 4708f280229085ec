"""Task forms defined as data (the form builder): check a definition, build its WTForms class.

A definition is JSON-plain::

    {"key": "beispiel.erfassung", "title": {"de": "Erfassung", "en": "Intake"},
     "fields": [{"name": "anliegen", "type": "longtext", "label": {"de": "Anliegen", "en": "Concern"},
                 "help": {"de": "…"}, "required": true, "max_length": 2000, "volunteer": false}, …]}

Field types (the kinds the code forms use): ``text`` (StringField, ``max_length``), ``longtext``
(TextAreaField, ``max_length``), ``number`` (IntegerField, or DecimalField with ``"decimal": true``;
``min``/``max``), ``date`` (DateField; ``earliest``/``latest`` as ISO date or ``"today"``),
``choice`` (RadioField, or SelectField with ``"widget": "select"``; ``choices``), ``multichoice``
(SelectMultipleField, a checkbox list), ``yesno`` (BooleanField; "required" = must be ticked) and
``group`` (a repeating group: ``FieldList(FormField(...))`` with ``fields`` of the simple types,
``min_entries``/``max_entries``). Labels, help texts, titles and choice labels are German with an
optional English text (``{"de": …, "en": …}``; a plain string is German). ``volunteer: true``
marks a field a volunteer may see in the case file.

:func:`build_form_class` makes ONE class per definition (cached by its content hash); it gives the
HTML form (the task page's macros), the server validation, the API validation (forms/jsonio.py)
and the JSON Schema (forms/schema.py). Nothing here imports the app.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.fields import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from forms.alltagsbegleitung import (
    INVALID_CHOICES,
    REQUIRED,
    _blank_raw,
    max_length,
    optional_value,
    required_value,
)
from forms.base import EntryCount, FormContext, SubForm, TaskForm, german_date, strip_text

TEXT = "text"
LONGTEXT = "longtext"
NUMBER = "number"
DATE = "date"
CHOICE = "choice"
MULTICHOICE = "multichoice"
YESNO = "yesno"
GROUP = "group"
FIELD_TYPES = (TEXT, LONGTEXT, NUMBER, DATE, CHOICE, MULTICHOICE, YESNO, GROUP)
SIMPLE_TYPES = tuple(t for t in FIELD_TYPES if t != GROUP)

#: German names of the field types (for the editor and messages).
TYPE_LABELS = {
    TEXT: _l("Text (einzeilig)"), LONGTEXT: _l("Langer Text"), NUMBER: _l("Zahl"), DATE: _l("Datum"),
    CHOICE: _l("Auswahl (eine)"), MULTICHOICE: _l("Mehrfachauswahl"), YESNO: _l("Ja/Nein (Ankreuzfeld)"),
    GROUP: _l("Wiederholbare Gruppe"),
}

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}(\.[a-z][a-z0-9_]{1,39})?")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_FIELDS = 60
MAX_CHOICES = 50
MAX_TEXT = 10000
MAX_LABEL = 300
MAX_HELP = 1000
MAX_ENTRIES = 50
TODAY = "today"

#: Names a field may not take: what a form object needs itself, and what the app keeps in the case
#: data (the volunteer lane's field, the crisis report, the cover note, the case status).
RESERVED_NAMES = frozenset(
    {name for name in dir(TaskForm) if not name.startswith("__")}
    | {"csrf_token", "submit", "ehrenamtliche", "krise", "gemeldet_von", "gemeldet_am",
       "vertretung_fuer", "status", "title", "data", "errors", "meta", "form", "key", "fields"}
)


# --- texts in two languages ----------------------------------------------------------------


class LocalText:
    """A German text with an optional English one; ``str()`` picks the reader's language."""

    def __init__(self, de: str, en: str = "") -> None:
        self.de, self.en = de, en

    def __str__(self) -> str:
        if self.en:
            try:
                locale = get_locale()
            except (RuntimeError, AttributeError):  # no app or request: German
                locale = None
            if locale is not None and locale.language == "en":
                return self.en
        return self.de

    def __len__(self) -> int:
        return len(str(self))

    def __bool__(self) -> bool:
        return bool(self.de)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.de)

    def __repr__(self) -> str:
        return f"LocalText({self.de!r}, {self.en!r})"


class _Number:
    """A bound shown in a message, formatted for the reader (``0,5`` in German)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        try:
            return str(format_decimal(self.value))
        except (RuntimeError, AttributeError):
            return str(self.value)


class _Date:
    def __init__(self, value: datetime.date) -> None:
        self.value = value

    def __str__(self) -> str:
        try:
            return german_date(self.value)
        except (RuntimeError, AttributeError):
            return self.value.isoformat()


def text_of(value: Any) -> dict[str, str]:
    """Normalise a label: a string is German; a mapping keeps ``de`` and (if given) ``en``."""
    if isinstance(value, str):
        return {"de": value.strip()}
    if isinstance(value, dict):
        result = {"de": str(value.get("de") or "").strip()}
        if str(value.get("en") or "").strip():
            result["en"] = str(value["en"]).strip()
        return result
    return {"de": ""}


def local(value: Any) -> LocalText:
    text = text_of(value)
    return LocalText(text["de"], text.get("en", ""))


# --- checking a definition -----------------------------------------------------------------


def _problem(problems: list[dict[str, str]], path: str, message: Any) -> None:
    problems.append({"path": path, "message": str(message)})


def check_definition(defn: Any, *, reserved_keys: frozenset[str] | set[str] = frozenset()) -> list[dict[str, str]]:
    """Every problem of a definition at once: ``[{"path": "fields[1].label", "message": "…"}]``.

    The messages are German (through the translations); an empty list means the definition can be
    built. ``reserved_keys`` are form keys that are taken (the code forms).
    """
    problems: list[dict[str, str]] = []
    if not isinstance(defn, dict):
        _problem(problems, "", _l("Die Formulardefinition muss ein JSON-Objekt sein."))
        return problems
    known = {"key", "title", "fields"}
    for extra in sorted(set(defn) - known):
        _problem(problems, extra, _l("Unbekannte Angabe „%(name)s“.", name=extra))
    key = defn.get("key")
    if not isinstance(key, str) or not key:
        _problem(problems, "key", _l("Bitte einen Schlüssel angeben."))
    elif not KEY_PATTERN.fullmatch(key):
        _problem(problems, "key", _l("Der Schlüssel darf nur Kleinbuchstaben, Ziffern und Unterstriche "
                                     "enthalten, mit einem Buchstaben beginnen und höchstens einen Punkt "
                                     "haben (z. B. „beratung.erstgespraech“)."))
    elif key in reserved_keys:
        _problem(problems, "key", _l("Der Schlüssel „%(key)s“ gehört schon zu einem fest programmierten "
                                     "Formular.", key=key))
    _check_text(problems, "title", defn.get("title"), _l("Bitte einen Titel angeben."), MAX_LABEL)
    fields = defn.get("fields")
    if not isinstance(fields, list) or not fields:
        _problem(problems, "fields", _l("Das Formular braucht mindestens ein Feld."))
        return problems
    if len(fields) > MAX_FIELDS:
        _problem(problems, "fields", _l("Höchstens %(max)d Felder sind möglich.", max=MAX_FIELDS))
    _check_fields(problems, "fields", fields, nested=False)
    return problems


def _check_text(problems: list, path: str, value: Any, missing: Any, limit: int, *, optional: bool = False) -> None:
    if value is None or value == "" or value == {}:
        if not optional:
            _problem(problems, path, missing)
        return
    if isinstance(value, dict):
        for extra in sorted(set(value) - {"de", "en"}):
            _problem(problems, f"{path}.{extra}", _l("Nur Texte auf Deutsch (de) und Englisch (en) sind möglich."))
        parts = {lang: value.get(lang) for lang in ("de", "en") if value.get(lang) is not None}
    elif isinstance(value, str):
        parts = {"de": value}
    else:
        _problem(problems, path, _l("Erwartet wird ein Text."))
        return
    for lang, text in parts.items():
        if not isinstance(text, str):
            _problem(problems, f"{path}.{lang}", _l("Erwartet wird ein Text."))
        elif len(text) > limit:
            _problem(problems, f"{path}.{lang}", _l("Bitte höchstens %(max)d Zeichen eingeben.", max=limit))
        elif "\x00" in text:
            _problem(problems, f"{path}.{lang}", _l("Der Text enthält unzulässige Zeichen."))
    if not optional and not str(parts.get("de") or "").strip():
        _problem(problems, f"{path}.de" if isinstance(value, dict) else path, missing)


FIELD_KEYS = {
    "name", "type", "label", "help", "required", "volunteer", "max_length", "min", "max", "decimal",
    "earliest", "latest", "choices", "widget", "fields", "min_entries", "max_entries",
}


def _check_fields(problems: list, base: str, fields: list, *, nested: bool) -> None:
    seen: dict[str, int] = {}
    for index, spec in enumerate(fields):
        path = f"{base}[{index}]"
        if not isinstance(spec, dict):
            _problem(problems, path, _l("Ein Feld muss ein JSON-Objekt sein."))
            continue
        for extra in sorted(set(spec) - FIELD_KEYS):
            _problem(problems, f"{path}.{extra}", _l("Unbekannte Angabe „%(name)s“.", name=extra))
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            _problem(problems, f"{path}.name", _l("Bitte einen Feldnamen angeben."))
        elif not NAME_PATTERN.fullmatch(name):
            _problem(problems, f"{path}.name", _l("Der Feldname „%(name)s“ ist nicht zulässig: nur "
                                                  "Kleinbuchstaben, Ziffern und Unterstriche, mit einem "
                                                  "Buchstaben am Anfang, höchstens 40 Zeichen.", name=name))
        elif name in RESERVED_NAMES:
            _problem(problems, f"{path}.name", _l("Der Feldname „%(name)s“ ist reserviert. Bitte einen "
                                                  "anderen wählen.", name=name))
        elif name in seen:
            _problem(problems, f"{path}.name", _l("Der Feldname „%(name)s“ kommt mehrfach vor (auch in Feld "
                                                  "%(other)d).", name=name, other=seen[name] + 1))
        else:
            seen[name] = index
        kind = spec.get("type")
        allowed = SIMPLE_TYPES if nested else FIELD_TYPES
        if kind not in allowed:
            if kind == GROUP:
                message = _l("Eine wiederholbare Gruppe kann keine weitere Gruppe enthalten.")
            else:
                message = _l("Unbekannter Feldtyp. Möglich sind: %(types)s.", types=", ".join(allowed))
            _problem(problems, f"{path}.type", message)
        _check_text(problems, f"{path}.label", spec.get("label"), _l("Bitte eine Beschriftung angeben."), MAX_LABEL)
        _check_text(problems, f"{path}.help", spec.get("help"), "", MAX_HELP, optional=True)
        for flag in ("required", "volunteer", "decimal"):
            if flag in spec and not isinstance(spec[flag], bool):
                _problem(problems, f"{path}.{flag}", _l("Erwartet wird true oder false."))
        if kind in (TEXT, LONGTEXT):
            _check_int(problems, f"{path}.max_length", spec.get("max_length"), 1, MAX_TEXT)
        if kind == NUMBER:
            _check_bounds(problems, path, spec)
        if kind == DATE:
            dates = [_check_date(problems, f"{path}.{edge}", spec.get(edge)) for edge in ("earliest", "latest")]
            if all(isinstance(d, datetime.date) for d in dates) and dates[0] > dates[1]:  # type: ignore[operator]
                _problem(problems, f"{path}.latest", _l("Das späteste Datum liegt vor dem frühesten."))
        if kind in (CHOICE, MULTICHOICE):
            _check_choices(problems, f"{path}.choices", spec.get("choices"))
            if spec.get("widget") not in (None, "radio", "select"):
                _problem(problems, f"{path}.widget", _l("Darstellung „radio“ oder „select“ angeben."))
        if kind == GROUP:
            low = _check_int(problems, f"{path}.min_entries", spec.get("min_entries"), 0, MAX_ENTRIES)
            high = _check_int(problems, f"{path}.max_entries", spec.get("max_entries"), 1, MAX_ENTRIES)
            if low is not None and high is not None and low > high:
                _problem(problems, f"{path}.max_entries", _l("Die Höchstzahl ist kleiner als die Mindestzahl."))
            sub = spec.get("fields")
            if not isinstance(sub, list) or not sub:
                _problem(problems, f"{path}.fields", _l("Die Gruppe braucht mindestens ein Feld."))
            else:
                _check_fields(problems, f"{path}.fields", sub, nested=True)
            if spec.get("required"):
                _problem(problems, f"{path}.required", _l("Für eine Gruppe bitte eine Mindestzahl an Einträgen "
                                                          "angeben statt „Pflichtfeld“."))


def _check_int(problems: list, path: str, value: Any, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _problem(problems, path, _l("Erwartet wird eine ganze Zahl."))
        return None
    if not low <= value <= high:
        _problem(problems, path, _l("Bitte eine Zahl zwischen %(min)d und %(max)d angeben.", min=low, max=high))
        return None
    return value


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite() or abs(number) >= 10**12:
        raise ValueError
    return number


def _check_bounds(problems: list, path: str, spec: dict) -> None:
    bounds: dict[str, Decimal | None] = {}
    for edge in ("min", "max"):
        value = spec.get(edge)
        if value is None or value == "":
            bounds[edge] = None
            continue
        try:
            bounds[edge] = _number(value)
        except ValueError:
            _problem(problems, f"{path}.{edge}", _l("Erwartet wird eine Zahl."))
            bounds[edge] = None
            continue
        if not spec.get("decimal") and bounds[edge] != bounds[edge].to_integral_value():  # type: ignore[union-attr]
            _problem(problems, f"{path}.{edge}", _l("Für ganze Zahlen bitte eine ganze Zahl als Grenze angeben."))
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low > high:
        _problem(problems, f"{path}.max", _l("Der Höchstwert ist kleiner als der Mindestwert."))


def _check_date(problems: list, path: str, value: Any) -> datetime.date | str | None:
    if value is None or value == "":
        return None
    if value == TODAY:
        return TODAY
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    _problem(problems, path, _l("Erwartet wird ein Datum JJJJ-MM-TT oder „today“ (heute)."))
    return None


def _check_choices(problems: list, path: str, choices: Any) -> None:
    if not isinstance(choices, list) or not choices:
        _problem(problems, path, _l("Bitte mindestens eine Auswahlmöglichkeit angeben."))
        return
    if len(choices) > MAX_CHOICES:
        _problem(problems, path, _l("Höchstens %(max)d Auswahlmöglichkeiten sind möglich.", max=MAX_CHOICES))
    values: set[str] = set()
    for index, choice in enumerate(choices):
        where = f"{path}[{index}]"
        if not isinstance(choice, dict):
            _problem(problems, where, _l("Eine Auswahlmöglichkeit braucht einen Wert und eine Beschriftung."))
            continue
        for extra in sorted(set(choice) - {"value", "label"}):
            _problem(problems, f"{where}.{extra}", _l("Unbekannte Angabe „%(name)s“.", name=extra))
        value = choice.get("value")
        if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
            _problem(problems, f"{where}.value", _l("Der Wert muss aus Kleinbuchstaben, Ziffern und Unterstrichen "
                                                    "bestehen und mit einem Buchstaben beginnen."))
        elif value in values:
            _problem(problems, f"{where}.value", _l("Der Wert „%(value)s“ kommt mehrfach vor.", value=value))
        else:
            values.add(value)
        _check_text(problems, f"{where}.label", choice.get("label"), _l("Bitte eine Beschriftung angeben."),
                    MAX_LABEL)


# --- normalising and hashing ---------------------------------------------------------------


def normalize(defn: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a checked definition: texts as ``{"de", "en"?}``, empty options dropped."""
    return {"key": defn["key"], "title": text_of(defn.get("title")),
            "fields": [_normal_field(spec) for spec in defn["fields"]]}


def _normal_field(spec: dict[str, Any]) -> dict[str, Any]:
    field: dict[str, Any] = {"name": spec["name"], "type": spec["type"], "label": text_of(spec.get("label"))}
    help_text = text_of(spec.get("help"))
    if help_text["de"] or help_text.get("en"):
        field["help"] = help_text
    for flag in ("required", "volunteer", "decimal"):
        if spec.get(flag):
            field[flag] = True
    for option in ("max_length", "min", "max", "earliest", "latest", "widget", "min_entries", "max_entries"):
        if spec.get(option) not in (None, ""):
            field[option] = spec[option]
    for bound in ("min", "max"):  # numbers, also when given as text ("0,5" is refused by the check)
        if bound in field:
            number = _number(field[bound])
            field[bound] = int(number) if number == number.to_integral_value() else float(number)
    if spec["type"] in (CHOICE, MULTICHOICE):
        field["choices"] = [{"value": c["value"], "label": text_of(c.get("label"))} for c in spec["choices"]]
    if spec["type"] == GROUP:
        field["fields"] = [_normal_field(sub) for sub in spec["fields"]]
    return field


def content_hash(defn: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a (normalised) definition."""
    canonical = json.dumps(defn, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def volunteer_fields(defn: dict[str, Any]) -> set[str]:
    """Names of the top-level fields a volunteer may see (``volunteer: true``)."""
    return {spec["name"] for spec in defn.get("fields") or [] if isinstance(spec, dict) and spec.get("volunteer")}


# --- building the WTForms class ------------------------------------------------------------

_CLASSES: dict[str, type[TaskForm]] = {}


class BuilderForm(TaskForm):
    """Base of the classes built from definitions: drops blank group entries like the code forms."""

    definition: dict[str, Any] = {}
    definition_hash = ""
    blank_entries: dict[str, int] = {}
    date_bounds: dict[str, tuple[Any, Any]] = {}

    def validate(self, extra_validators: Any = None) -> bool:
        groups = [self[name] for name in self.blank_entries]
        for group in groups:
            group.entries = [e for e in group.entries if not all(_blank_raw(sub) for sub in e.form)]
            for entry in group.entries:
                entry.form.parent_ctx = self.ctx
        valid = super().validate(extra_validators=extra_validators)
        for group in groups:
            if not group.entries:
                group.append_entry()
        return valid


class _DateBounds:
    """Validator: a date on or after ``earliest`` and on or before ``latest`` (``today`` = the case's day)."""

    def __init__(self, earliest: Any, latest: Any) -> None:
        self.earliest, self.latest = earliest, latest

    def _day(self, form: Any, value: Any) -> datetime.date | None:
        if value is None:
            return None
        if value == TODAY:
            ctx = getattr(form, "ctx", None)
            if not isinstance(ctx, FormContext):  # inside a group: the enclosing form's day
                ctx = getattr(form, "parent_ctx", None)
            return ctx.today if isinstance(ctx, FormContext) else datetime.date.today()
        return datetime.date.fromisoformat(value)

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is None:
            return
        earliest, latest = self._day(form, self.earliest), self._day(form, self.latest)
        if earliest is not None and field.data < earliest:
            raise ValidationError(_l("Das Datum darf nicht vor dem %(date)s liegen.", date=_Date(earliest)))
        if latest is not None and field.data > latest:
            raise ValidationError(_l("Das Datum darf nicht nach dem %(date)s liegen.", date=_Date(latest)))


def _optional_choice(base: Any) -> Any:
    """``base`` (RadioField/SelectField, same class name for the templates) that accepts no choice
    at all: WTForms would answer an optional, unanswered choice with "invalid choice"."""

    def pre_validate(self: Any, form: Any) -> None:
        if self.data in (None, "") and not any(str(v).strip() for v in (self.raw_data or ())):
            return
        base.pre_validate(self, form)

    return type(base.__name__, (base,), {"pre_validate": pre_validate, "__module__": __name__})


OptionalRadioField = _optional_choice(RadioField)
OptionalSelectField = _optional_choice(SelectField)


def _choices(spec: dict[str, Any]) -> list[Any]:
    return [SelectChoice(c["value"], local(c.get("label"))) for c in spec["choices"]]


def _make_field(spec: dict[str, Any]) -> Any:
    kind = spec["type"]
    label: Any = local(spec.get("label"))  # shown through str(), like the code forms' lazy strings
    validators: list[Any]
    cls: Any
    options: dict[str, Any] = {}
    help_text = text_of(spec.get("help"))
    if help_text["de"]:
        options["description"] = local(help_text)
    required = bool(spec.get("required"))
    if kind in (TEXT, LONGTEXT):
        limit = spec.get("max_length") or MAX_TEXT
        validators = [DataRequired(message=REQUIRED) if required else Optional(), max_length(limit)]
        cls = StringField if kind == TEXT else TextAreaField
        return cls(label, validators, filters=[strip_text], **options)
    if kind == NUMBER:
        validators = required_value() if required else optional_value()
        low, high = spec.get("min"), spec.get("max")
        decimal = bool(spec.get("decimal"))
        conv = (lambda v: Decimal(str(v))) if decimal else int
        if low is not None or high is not None:
            if low is not None and high is not None:
                message = _l("Bitte eine Zahl zwischen %(low)s und %(high)s angeben.", low=_Number(low),
                             high=_Number(high))
            elif low is not None:
                message = _l("Bitte eine Zahl ab %(low)s angeben.", low=_Number(low))
            else:
                message = _l("Bitte eine Zahl bis %(high)s angeben.", high=_Number(high))
            validators.append(NumberRange(None if low is None else conv(low), None if high is None else conv(high),
                                          message=message))
        if decimal:
            return DecimalField(label, validators, places=None, **options)
        return IntegerField(label, validators, **options)
    if kind == DATE:
        validators = required_value() if required else optional_value()
        if spec.get("earliest") or spec.get("latest"):
            validators.append(_DateBounds(spec.get("earliest"), spec.get("latest")))
        return DateField(label, validators, **options)
    if kind == CHOICE:
        validators = [DataRequired(message=_l("Bitte eine Auswahl treffen."))] if required else [Optional()]
        if required:
            cls = SelectField if spec.get("widget") == "select" else RadioField
        else:
            cls = OptionalSelectField if spec.get("widget") == "select" else OptionalRadioField
        return cls(label, validators, choices=_choices(spec), invalid_choice_message=INVALID_CHOICES, **options)
    if kind == MULTICHOICE:
        validators = [DataRequired(message=_l("Bitte mindestens eine Auswahl treffen."))] if required else []
        return SelectMultipleField(label, validators, choices=_choices(spec),  # type: ignore[call-arg]  # stubs lag
                                   invalid_choice_message=INVALID_CHOICES, **options)
    if kind == YESNO:
        validators = [DataRequired(message=_l("Bitte bestätigen Sie dies."))] if required else []
        return BooleanField(label, validators, **options)
    # GROUP
    sub_cls = type("BuilderGroupForm", (SubForm,), {sub["name"]: _make_field(sub) for sub in spec["fields"]})
    low = spec.get("min_entries") or 0
    high = spec.get("max_entries")
    count = EntryCount(low, high, min_message=_l("Bitte mindestens %(min)d Einträge angeben.", min=low),
                       max_message=_l("Bitte höchstens %(max)d Einträge angeben.", max=high or 0))
    return FieldList(FormField(sub_cls), label, [count], min_entries=low, **options)


def build_form_class(defn: dict[str, Any], *, cache: bool = True) -> type[TaskForm]:
    """The WTForms class of a checked definition; one class per content (cached by its hash).

    ``cache=False`` (the editor's preview of unsaved content) builds a class that is not kept.
    """
    normal = normalize(defn)
    digest = content_hash(normal)
    cached = _CLASSES.get(digest)
    if cached is not None:
        return cached
    attrs: dict[str, Any] = {
        "title": local(normal["title"]),
        "definition": normal,
        "definition_hash": digest,
        "blank_entries": {spec["name"]: 1 for spec in normal["fields"] if spec["type"] == GROUP},
        "__doc__": f"Form builder form {normal['key']!r} ({digest[:12]}).",
    }
    for spec in normal["fields"]:
        attrs[spec["name"]] = _make_field(spec)
    name = "Builder_" + re.sub(r"\W", "_", normal["key"])
    cls = type(name, (BuilderForm,), attrs)
    if cache:
        _CLASSES[digest] = cls
    return cls


__all__ = [
    "FIELD_TYPES",
    "KEY_PATTERN",
    "RESERVED_NAMES",
    "TYPE_LABELS",
    "BuilderForm",
    "LocalText",
    "build_form_class",
    "check_definition",
    "content_hash",
    "normalize",
    "volunteer_fields",
]
