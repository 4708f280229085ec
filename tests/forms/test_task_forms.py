"""Task forms of the Alltagsbegleitung: validation rules, JSON input, JSON Schema export."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from jsonschema import Draft202012Validator
from werkzeug.datastructures import MultiDict

from forms import (
    FORMS,
    FormContext,
    TaskForm,
    form_schema,
    get_form_class,
    json_to_formdata,
    validate_json,
)
from forms.alltagsbegleitung import (
    AbschlussForm,
    BedarfsermittlungForm,
    VermittlungForm,
    VorgespraechForm,
    ZwischengespraechForm,
)
from forms.jsonio import bind_form, form_errors

TODAY = datetime.date(2025, 3, 1)
REQUIRED = "Bitte füllen Sie dieses Feld aus."
GOALS = [
    {"beschreibung": "Arzttermine selbst vereinbaren", "frist": "2025-06-30"},
    {"beschreibung": "Kita-Anmeldung erledigen", "frist": "2025-05-31"},
]
VOLUNTEERS = [("ehrenamt1", "Erika Beispiel"), ("ehrenamt2", "Max Muster")]


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-only", WTF_CSRF_ENABLED=False)
    Babel(app, default_locale="de")
    return app


@pytest.fixture(autouse=True)
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def make_ctx(**data: Any) -> FormContext:
    return FormContext(data=data, today=TODAY, volunteers=list(VOLUNTEERS))


def submit(
    form_cls: type[TaskForm], payload: dict[str, Any], ctx: FormContext | None = None
) -> tuple[bool, dict[str, list[str]], TaskForm]:
    """The JSON API path: type check, bind, validate."""
    ctx = ctx or make_ctx()
    assert validate_json(form_schema(bind_form(form_cls, ctx, csrf=False)), payload) == {}
    form = bind_form(form_cls, ctx, json_data=payload, csrf=False)
    valid = form.validate()
    return valid, form_errors(form), form


def assert_valid(form_cls: type[TaskForm], payload: dict[str, Any], **ctx: Any) -> dict:
    valid, errors, form = submit(form_cls, payload, make_ctx(**ctx))
    assert valid, errors
    data = form.to_task_data()
    assert json.loads(json.dumps(data)) == data
    return data


def assert_error(
    form_cls: type[TaskForm], payload: dict[str, Any], field: str, message: str, **ctx: Any
) -> dict[str, list[str]]:
    valid, errors, _ = submit(form_cls, payload, make_ctx(**ctx))
    assert not valid
    assert message in errors.get(field, []), errors
    return errors


def with_changes(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(payload)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# --- registry -----------------------------------------------------------------------------


def test_registry_has_every_alltagsbegleitung_form() -> None:
    steps = ("bedarfsermittlung", "vermittlung", "vorgespraech", "zwischengespraech",
             "abschluss", "rueckmeldung", "krise_quittieren", "krise_bearbeiten",
             "krise_eskalation")
    assert {f"alltagsbegleitung.{step}" for step in steps} <= set(FORMS)  # other procedures add theirs
    assert get_form_class("alltagsbegleitung.abschluss") is AbschlussForm
    assert all(issubclass(cls, TaskForm) for cls in FORMS.values())


def test_unknown_form_key_raises_key_error_naming_the_key() -> None:
    with pytest.raises(KeyError, match="alltagsbegleitung.unbekannt"):
        get_form_class("alltagsbegleitung.unbekannt")


# --- 1. Bedarfsermittlung -----------------------------------------------------------------

BEDARF = {
    "zielgruppe": "familie",
    "familienname": "Beispiel",
    "vornamen": "Anna, Ben",
    "anschrift": "Beispielweg 1\n12345 Musterstadt",
    "sprachen": "Arabisch, etwas Deutsch",
    "kinder_anzahl": 2,
    "bedarf": "Orientierung im Gesundheitssystem und bei Behörden",
    "ziele": [
        {
            "beschreibung": "Die Familie vereinbart Arzttermine selbst.",
            "frist": "2025-06-30",
            "ueberpruefung": "Zwei Termine ohne Hilfe vereinbart",
        }
    ],
    "interne_notiz": "Vorgeschichte siehe Akte",
}


def test_bedarfsermittlung_valid_input_gives_json_plain_task_data() -> None:
    data = assert_valid(BedarfsermittlungForm, BEDARF)
    assert data == BEDARF


def test_bedarfsermittlung_strips_text_and_drops_blank_goal_entries() -> None:
    payload = with_changes(BEDARF, familienname="  Beispiel ", ziele=[*BEDARF["ziele"], {}])
    data = assert_valid(BedarfsermittlungForm, payload)
    assert data["familienname"] == "Beispiel"
    assert data["ziele"] == BEDARF["ziele"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("zielgruppe", "Bitte eine Zielgruppe wählen."),
        ("familienname", REQUIRED),
        ("sprachen", REQUIRED),
        ("bedarf", REQUIRED),
    ],
)
def test_bedarfsermittlung_required_fields(field: str, message: str) -> None:
    payload = with_changes(BEDARF, **{field: None})
    errors = assert_error(BedarfsermittlungForm, payload, field, message)
    assert set(errors) == {field}


def test_bedarfsermittlung_optional_fields_may_be_missing_or_null() -> None:
    payload = with_changes(BEDARF, vornamen=None, anschrift=None, interne_notiz=None)
    payload["kinder_anzahl"] = None
    data = assert_valid(BedarfsermittlungForm, payload)
    assert data["kinder_anzahl"] is None


def test_bedarfsermittlung_without_goals_is_rejected() -> None:
    errors = assert_error(
        BedarfsermittlungForm,
        with_changes(BEDARF, ziele=[]),
        "ziele",
        "Bitte mindestens ein Ziel angeben.",
    )
    assert set(errors) == {"ziele"}


def test_bedarfsermittlung_at_most_ten_goals() -> None:
    payload = with_changes(BEDARF, ziele=BEDARF["ziele"] * 11)
    assert_error(BedarfsermittlungForm, payload, "ziele", "Bitte höchstens 10 Ziele angeben.")
    assert_valid(BedarfsermittlungForm, with_changes(BEDARF, ziele=BEDARF["ziele"] * 10))


@pytest.mark.parametrize("frist", ["2025-03-01", "2024-12-31"])
def test_goal_deadline_must_be_in_the_future(frist: str) -> None:
    second = dict(BEDARF["ziele"][0], frist=frist)
    payload = with_changes(BEDARF, ziele=[BEDARF["ziele"][0], second])
    errors = assert_error(
        BedarfsermittlungForm, payload, "ziele-1-frist", "Die Frist muss in der Zukunft liegen."
    )
    assert set(errors) == {"ziele-1-frist"}


def test_goal_needs_description_deadline_and_check() -> None:
    payload = with_changes(BEDARF, ziele=[{"beschreibung": "Behördengänge allein erledigen"}])
    errors = assert_error(BedarfsermittlungForm, payload, "ziele-0-frist", REQUIRED)
    assert errors["ziele-0-ueberpruefung"] == [REQUIRED]
    assert "ziele-0-beschreibung" not in errors


def test_bedarfsermittlung_lengths_and_ranges() -> None:
    assert_error(
        BedarfsermittlungForm,
        with_changes(BEDARF, familienname="x" * 81),
        "familienname",
        "Bitte höchstens 80 Zeichen eingeben.",
    )
    assert_error(
        BedarfsermittlungForm,
        with_changes(BEDARF, kinder_anzahl=21),
        "kinder_anzahl",
        "Bitte eine Zahl zwischen 0 und 20 angeben.",
    )
    data = assert_valid(BedarfsermittlungForm, with_changes(BEDARF, kinder_anzahl=0))
    assert data["kinder_anzahl"] == 0


def test_bedarfsermittlung_html_submission_keeps_one_entry_for_rerendering() -> None:
    form = bind_form(BedarfsermittlungForm, make_ctx(), formdata=MultiDict(), csrf=True)
    assert not form.validate()
    assert form_errors(form)["ziele"] == ["Bitte mindestens ein Ziel angeben."]
    assert len(form.ziele.entries) == 1


# --- 2. Vermittlung -----------------------------------------------------------------------


def test_vermittlung_valid_input() -> None:
    payload = {"ehrenamtliche": "ehrenamt2", "begruendung": "Spricht Arabisch"}
    payload["vorbereitung_erfolgt"] = True
    assert assert_valid(VermittlungForm, payload) == payload


def test_vermittlung_offers_the_volunteers_of_the_context() -> None:
    form = bind_form(VermittlungForm, make_ctx(), csrf=False)
    prop = form_schema(form)["properties"]["ehrenamtliche"]
    assert prop["enum"] == ["ehrenamt1", "ehrenamt2"]
    assert prop["x-labels"] == dict(VOLUNTEERS)


def test_vermittlung_rejects_unknown_volunteer() -> None:
    form = bind_form(VermittlungForm, make_ctx(), json_data={"ehrenamtliche": "fremd"}, csrf=False)
    assert not form.validate()
    assert form_errors(form) == {
        "ehrenamtliche": ["Bitte eine Ehrenamtliche / einen Ehrenamtlichen aus der Liste wählen."]
    }


def test_vermittlung_requires_a_volunteer() -> None:
    assert_error(
        VermittlungForm,
        {"begruendung": "noch offen"},
        "ehrenamtliche",
        "Bitte eine Ehrenamtliche / einen Ehrenamtlichen auswählen.",
    )


# --- 3. Vorgespräch -----------------------------------------------------------------------

VORGESPRAECH = {
    "datum": "2025-03-01",
    "teilnehmende": ["eltern", "alltagsbegleitung", "koordinierungsstelle", "fachbereich"],
    "stunden_pro_woche": 2.5,
    "beginn": "2025-03-10",
    "ende": "2025-09-30",
    "vereinbarungen": "Dienstags 15 Uhr",
}


def test_vorgespraech_valid_input() -> None:
    data = assert_valid(VorgespraechForm, VORGESPRAECH)
    assert data == VORGESPRAECH
    assert isinstance(data["stunden_pro_woche"], float)


def test_vorgespraech_initial_date_is_today() -> None:
    assert VorgespraechForm.initial(make_ctx()) == {"datum": "2025-03-01"}
    form = bind_form(VorgespraechForm, make_ctx(), csrf=True)
    assert form.datum.data == TODAY


@pytest.mark.parametrize("ende", ["2025-03-10", "2025-03-05"])
def test_vorgespraech_end_must_follow_begin(ende: str) -> None:
    assert_error(
        VorgespraechForm,
        with_changes(VORGESPRAECH, ende=ende),
        "ende",
        "Das Ende muss nach dem Beginn liegen.",
    )


def test_vorgespraech_end_not_in_the_past() -> None:
    payload = with_changes(VORGESPRAECH, beginn="2025-01-01", ende="2025-02-28")
    assert_error(
        VorgespraechForm, payload, "ende", "Das Ende darf nicht in der Vergangenheit liegen."
    )


def test_vorgespraech_needs_participants_and_hours() -> None:
    errors = assert_error(
        VorgespraechForm,
        with_changes(VORGESPRAECH, teilnehmende=[], stunden_pro_woche=None),
        "teilnehmende",
        "Bitte mindestens eine teilnehmende Person bzw. Stelle wählen.",
    )
    assert errors["stunden_pro_woche"] == [REQUIRED]


@pytest.mark.parametrize("hours", [0.25, 41])
def test_vorgespraech_hours_range(hours: float) -> None:
    assert_error(
        VorgespraechForm,
        with_changes(VORGESPRAECH, stunden_pro_woche=hours),
        "stunden_pro_woche",
        "Bitte eine Zahl zwischen 0,5 und 40 angeben.",
    )


def test_vorgespraech_html_rejects_unknown_participant_in_german() -> None:
    formdata = MultiDict([("teilnehmende", "nachbar"), ("teilnehmende", "eltern")])
    form = bind_form(VorgespraechForm, make_ctx(), formdata=formdata, csrf=True)
    assert not form.validate()
    assert form_errors(form)["teilnehmende"] == ["Ungültige Auswahl: nachbar."]


# --- 4. Zwischengespräch ------------------------------------------------------------------

ZWISCHEN = {
    "datum": "2025-04-15",
    "notizen": "Einsatz läuft gut",
    "probleme": "",
    "fragen_ehrenamt": "Fahrtkosten?",
    "fb_einbeziehen": False,
    "abschluss_einleiten": True,
}


def test_zwischengespraech_valid_input() -> None:
    assert assert_valid(ZwischengespraechForm, ZWISCHEN) == ZWISCHEN


def test_zwischengespraech_booleans_default_to_false() -> None:
    data = assert_valid(ZwischengespraechForm, {"datum": "2025-04-15", "notizen": "kurz"})
    assert data["fb_einbeziehen"] is False
    assert data["abschluss_einleiten"] is False


def test_zwischengespraech_requires_notes_and_date() -> None:
    errors = assert_error(
        ZwischengespraechForm, with_changes(ZWISCHEN, notizen="  ", datum=None), "notizen", REQUIRED
    )
    assert errors["datum"] == [REQUIRED]


def test_zwischengespraech_rejects_string_for_boolean() -> None:
    schema = form_schema(bind_form(ZwischengespraechForm, make_ctx(), csrf=False))
    errors = validate_json(schema, with_changes(ZWISCHEN, abschluss_einleiten="nein"))
    assert errors == {
        "abschluss_einleiten": [
            "Falscher Datentyp, erwartet wird: Wahrheitswert (true oder false)."
        ]
    }


# --- 5. Abschluss -------------------------------------------------------------------------

ABSCHLUSS = {
    "datum": "2025-06-01",
    "teilnehmende": ["eltern", "fachbereich"],
    "ergebnis": "beenden",
    "zielbewertungen": [
        {"ziel": GOALS[0]["beschreibung"], "bewertung": "erreicht", "kommentar": ""},
        {"ziel": GOALS[1]["beschreibung"], "bewertung": "teilweise", "kommentar": "fast"},
    ],
    "neues_ende": None,
    "folgemassnahme": "",
    "begruendung": "Ziele weitgehend erreicht",
}
CASE = {"ziele": GOALS, "ende": "2025-09-30"}


def test_abschluss_valid_input() -> None:
    assert assert_valid(AbschlussForm, ABSCHLUSS, **CASE) == ABSCHLUSS


def test_abschluss_initial_prefills_one_assessment_per_goal() -> None:
    ctx = make_ctx(**CASE)
    assert AbschlussForm.initial(ctx) == {
        "datum": "2025-03-01",
        "zielbewertungen": [{"ziel": g["beschreibung"]} for g in GOALS],
    }
    form = bind_form(AbschlussForm, ctx, csrf=True, current={"ergebnis": "beenden"})
    assert form.datum.data == TODAY
    assert form.ergebnis.data == "beenden"
    assert [e.form.ziel.data for e in form.zielbewertungen.entries] == [
        g["beschreibung"] for g in GOALS
    ]


def test_abschluss_goal_texts_come_from_the_case() -> None:
    payload = copy.deepcopy(ABSCHLUSS)
    payload["zielbewertungen"][0]["ziel"] = "verändert"
    del payload["zielbewertungen"][1]["ziel"]
    data = assert_valid(AbschlussForm, payload, **CASE)
    assert data["zielbewertungen"] == ABSCHLUSS["zielbewertungen"]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_abschluss_every_goal_must_be_assessed(count: int) -> None:
    entries = [{"bewertung": "erreicht"}] * count
    errors = assert_error(
        AbschlussForm,
        with_changes(ABSCHLUSS, zielbewertungen=entries),
        "zielbewertungen",
        "Bitte jedes Ziel bewerten.",
        **CASE,
    )
    assert set(errors) == {"zielbewertungen"}


def test_abschluss_assessment_needs_a_rating() -> None:
    payload = copy.deepcopy(ABSCHLUSS)
    del payload["zielbewertungen"][1]["bewertung"]
    assert_error(
        AbschlussForm,
        payload,
        "zielbewertungen-1-bewertung",
        "Bitte eine Bewertung wählen.",
        **CASE,
    )


def test_abschluss_requires_an_outcome() -> None:
    assert_error(
        AbschlussForm,
        with_changes(ABSCHLUSS, ergebnis=None),
        "ergebnis",
        "Bitte ein Ergebnis wählen.",
        **CASE,
    )


def test_abschluss_continuation_needs_new_end_date() -> None:
    errors = assert_error(
        AbschlussForm,
        with_changes(ABSCHLUSS, ergebnis="fortfuehren"),
        "neues_ende",
        "Bei Fortführung ist ein neues Enddatum erforderlich.",
        **CASE,
    )
    assert set(errors) == {"neues_ende"}


@pytest.mark.parametrize(
    ("neues_ende", "message"),
    [
        ("2025-03-01", "Das neue Enddatum muss in der Zukunft liegen."),
        ("2025-09-30", "Das neue Enddatum muss nach dem bisherigen Ende (30.09.2025) liegen."),
    ],
)
def test_abschluss_new_end_date_rules(neues_ende: str, message: str) -> None:
    payload = with_changes(ABSCHLUSS, ergebnis="fortfuehren", neues_ende=neues_ende)
    assert_error(AbschlussForm, payload, "neues_ende", message, **CASE)


def test_abschluss_continuation_with_new_end_date() -> None:
    payload = with_changes(ABSCHLUSS, ergebnis="fortfuehren", neues_ende="2026-03-31")
    assert assert_valid(AbschlussForm, payload, **CASE)["neues_ende"] == "2026-03-31"


def test_abschluss_handover_needs_follow_up_measure() -> None:
    assert_error(
        AbschlussForm,
        with_changes(ABSCHLUSS, ergebnis="ueberleiten"),
        "folgemassnahme",
        "Bei Überleitung ist die Folgemaßnahme anzugeben.",
        **CASE,
    )
    payload = with_changes(ABSCHLUSS, ergebnis="ueberleiten", folgemassnahme="MBE-Beratung")
    assert assert_valid(AbschlussForm, payload, **CASE)["folgemassnahme"] == "MBE-Beratung"


# --- JSON input ---------------------------------------------------------------------------


@pytest.fixture
def bedarf_schema() -> dict[str, Any]:
    return form_schema(bind_form(BedarfsermittlungForm, make_ctx(), csrf=False))


def test_validate_json_accepts_good_data(bedarf_schema: dict[str, Any]) -> None:
    assert validate_json(bedarf_schema, BEDARF) == {}


def test_validate_json_leaves_required_checks_to_wtforms(bedarf_schema: dict[str, Any]) -> None:
    assert validate_json(bedarf_schema, {}) == {}


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"familienname": 42}, "familienname", "Falscher Datentyp, erwartet wird: Text."),
        ({"kinder_anzahl": "2"}, "kinder_anzahl", "Falscher Datentyp, erwartet wird: ganze Zahl."),
        ({"kinder_anzahl": 1.5}, "kinder_anzahl", "Falscher Datentyp, erwartet wird: ganze Zahl."),
        (
            {"zielgruppe": "senioren"},
            "zielgruppe",
            "Ungültiger Wert. Erlaubt sind: familie, junger_erwachsener.",
        ),
        ({"ziele": {"frist": "2025-06-30"}}, "ziele", "Falscher Datentyp, erwartet wird: Liste."),
        ({"hobby": "Fußball"}, "hobby", "Unbekanntes Feld."),
    ],
)
def test_validate_json_rejects_wrong_input(
    bedarf_schema: dict[str, Any], changes: dict[str, Any], key: str, message: str
) -> None:
    assert validate_json(bedarf_schema, with_changes(BEDARF, **changes)) == {key: [message]}


@pytest.mark.parametrize("frist", ["30.06.2025", "2025-6-30", "2025-02-30", ""])
def test_validate_json_rejects_bad_dates(bedarf_schema: dict[str, Any], frist: str) -> None:
    payload = with_changes(BEDARF, ziele=[dict(BEDARF["ziele"][0], frist=frist)])
    assert validate_json(bedarf_schema, payload) == {
        "ziele-0-frist": ["Ungültiges Datum, erwartet wird JJJJ-MM-TT."]
    }


def test_validate_json_reports_unknown_nested_field(bedarf_schema: dict[str, Any]) -> None:
    payload = with_changes(BEDARF, ziele=[dict(BEDARF["ziele"][0], farbe="blau")])
    assert validate_json(bedarf_schema, payload) == {"ziele-0-farbe": ["Unbekanntes Feld."]}


def test_validate_json_rejects_bad_values_in_multi_select() -> None:
    schema = form_schema(bind_form(VorgespraechForm, make_ctx(), csrf=False))
    errors = validate_json(schema, with_changes(VORGESPRAECH, teilnehmende=["eltern", 7]))
    assert errors == {"teilnehmende": ["Falscher Datentyp, erwartet wird: Text."]}


@pytest.mark.parametrize("data", [[], "text", 3, None])
def test_validate_json_requires_an_object(bedarf_schema: dict[str, Any], data: object) -> None:
    assert validate_json(bedarf_schema, data) == {"_": ["Erwartet wird ein JSON-Objekt."]}


def test_task_data_passes_its_own_schema() -> None:
    for form_cls, payload, case in [
        (BedarfsermittlungForm, with_changes(BEDARF, kinder_anzahl=None), {}),
        (AbschlussForm, ABSCHLUSS, CASE),
        (VorgespraechForm, VORGESPRAECH, {}),
    ]:
        data = assert_valid(form_cls, payload, **case)
        schema = form_schema(bind_form(form_cls, make_ctx(**case), csrf=False))
        assert validate_json(schema, data) == {}


def test_json_to_formdata_flattens_like_html_forms() -> None:
    formdata = json_to_formdata(
        {
            "text": "a",
            "zahl": 2.5,
            "ganz": 3.0,
            "ja": True,
            "nein": False,
            "leer": None,
            "auswahl": ["eltern", "fachbereich"],
            "ziele": [{"beschreibung": "x", "frist": "2025-06-30"}, {"beschreibung": "y"}],
        }
    )
    assert formdata.to_dict(flat=False) == {
        "text": ["a"],
        "zahl": ["2.5"],
        "ganz": ["3"],
        "ja": ["y"],
        "auswahl": ["eltern", "fachbereich"],
        "ziele-0-beschreibung": ["x"],
        "ziele-0-frist": ["2025-06-30"],
        "ziele-1-beschreibung": ["y"],
    }


def test_json_binding_ignores_the_request_body(app: Flask) -> None:
    body = {"ehrenamtliche": "ehrenamt1"}
    with app.test_request_context(method="POST", json=body):
        form = bind_form(VermittlungForm, make_ctx(), json_data={}, csrf=False)
        assert not form.validate()
        assert "ehrenamtliche" in form_errors(form)


def test_csrf_is_checked_for_html_but_never_for_json(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    payload = {"ehrenamtliche": "ehrenamt1"}
    with app.test_request_context(method="POST", data=payload):
        html = bind_form(VermittlungForm, make_ctx(), formdata=MultiDict(payload), csrf=True)
        assert not html.validate()
        assert "csrf_token" in form_errors(html)
        api = bind_form(VermittlungForm, make_ctx(), json_data=payload, csrf=True)
        assert api.validate(), form_errors(api)
        assert "csrf_token" not in api.to_task_data()


def test_unconfigured_form_validates_against_an_empty_context() -> None:
    form = AbschlussForm(formdata=json_to_formdata(ABSCHLUSS), meta={"csrf": False})
    assert not form.validate()
    assert form_errors(form)["zielbewertungen"] == ["Bitte jedes Ziel bewerten."]


# --- JSON Schema --------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FORMS))
def test_every_schema_is_a_valid_draft_2020_12_schema(key: str) -> None:
    form = bind_form(get_form_class(key), make_ctx(**CASE), csrf=False)
    schema = form_schema(form)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert "csrf_token" not in schema["properties"]
    assert all(isinstance(p["title"], str) and p["title"] for p in schema["properties"].values())
    json.dumps(schema)


def test_bedarfsermittlung_schema(bedarf_schema: dict[str, Any]) -> None:
    props = bedarf_schema["properties"]
    assert bedarf_schema["type"] == "object"
    assert bedarf_schema["title"] == "Bedarfsermittlung"
    assert bedarf_schema["required"] == [
        "zielgruppe",
        "familienname",
        "sprachen",
        "bedarf",
        "ziele",
    ]
    assert props["zielgruppe"] == {
        "title": "Zielgruppe",
        "type": "string",
        "enum": ["familie", "junger_erwachsener"],
        "x-labels": {
            "familie": "Familie",
            "junger_erwachsener": "Junge:r Erwachsene:r (z. B. ehemalige UMA)",
        },
    }
    assert props["familienname"] == {
        "title": "Familienname / Name",
        "type": "string",
        "maxLength": 80,
    }
    assert props["anschrift"]["format"] == "textarea"
    assert props["anschrift"]["maxLength"] == 500
    assert props["sprachen"]["description"] == "Mehrere Sprachen durch Komma trennen."
    assert props["kinder_anzahl"] == {
        "title": "Anzahl der Kinder",
        "type": "integer",
        "minimum": 0,
        "maximum": 20,
    }
    ziele = props["ziele"]
    assert (ziele["type"], ziele["minItems"], ziele["maxItems"]) == ("array", 1, 10)
    items = ziele["items"]
    assert items["type"] == "object"
    assert items["additionalProperties"] is False
    assert items["required"] == ["beschreibung", "frist", "ueberpruefung"]
    assert items["properties"]["frist"] == {"title": "Frist", "type": "string", "format": "date"}
    assert items["properties"]["beschreibung"]["title"] == "Ziel (detailliert und konkret)"
    assert items["properties"]["ueberpruefung"]["format"] == "textarea"


def test_abschluss_schema() -> None:
    schema = form_schema(bind_form(AbschlussForm, make_ctx(**CASE), csrf=False))
    props = schema["properties"]
    assert schema["title"] == "Abschluss"
    assert schema["required"] == ["datum", "ergebnis", "zielbewertungen"]
    assert list(props) == [
        "datum",
        "teilnehmende",
        "ergebnis",
        "zielbewertungen",
        "neues_ende",
        "folgemassnahme",
        "begruendung",
    ]
    assert props["datum"] == {"title": "Datum des Gesprächs", "type": "string", "format": "date"}
    assert props["ergebnis"]["enum"] == ["beenden", "fortfuehren", "ueberleiten"]
    assert props["ergebnis"]["x-labels"]["fortfuehren"] == "Einsatz fortführen (neuer Zeitraum)"
    assert props["teilnehmende"]["type"] == "array"
    assert props["teilnehmende"]["items"]["enum"] == [
        "eltern",
        "alltagsbegleitung",
        "koordinierungsstelle",
        "fachbereich",
    ]
    assert props["teilnehmende"]["items"]["x-labels"]["koordinierungsstelle"] == (
        "Koordinierungsstelle 201"
    )
    bewertungen = props["zielbewertungen"]
    assert (bewertungen["minItems"], bewertungen["maxItems"]) == (2, 2)
    item = bewertungen["items"]
    assert item["required"] == ["bewertung"]
    assert item["properties"]["bewertung"]["enum"] == ["erreicht", "teilweise", "nicht_erreicht"]
    assert item["properties"]["bewertung"]["x-labels"]["teilweise"] == "teilweise erreicht"
    assert item["properties"]["ziel"]["readOnly"] is True
    assert item["properties"]["kommentar"]["maxLength"] == 500
    assert props["neues_ende"]["format"] == "date"
    assert props["neues_ende"]["description"] == "Nur bei Fortführung des Einsatzes."
    assert props["folgemassnahme"]["format"] == "textarea"
    assert props["begruendung"]["title"] == "Begründung / Gesprächsergebnis"


def test_schema_of_other_forms_maps_numbers_and_booleans() -> None:
    vorgespraech = form_schema(bind_form(VorgespraechForm, make_ctx(), csrf=False))["properties"]
    assert vorgespraech["stunden_pro_woche"] == {
        "title": "Umfang (Stunden pro Woche)",
        "type": "number",
        "minimum": 0.5,
        "maximum": 40,
    }
    zwischen = form_schema(bind_form(ZwischengespraechForm, make_ctx(), csrf=False))
    assert zwischen["properties"]["abschluss_einleiten"] == {
        "title": "Abschlussgespräch einleiten",
        "type": "boolean",
    }
    assert zwischen["required"] == ["datum", "notizen"]


def test_display_mode_converts_stored_values_for_rendering() -> None:
    current = {"stunden_pro_woche": 2.5, "beginn": "2025-03-10", "teilnehmende": ["eltern"]}
    form = bind_form(VorgespraechForm, make_ctx(), csrf=True, current=current)
    assert form.stunden_pro_woche.data == Decimal("2.5")
    assert 'value="2025-03-10"' in str(form.beginn())
    assert 'value="2025-03-01"' in str(form.datum())
    bedarf = bind_form(BedarfsermittlungForm, make_ctx(), csrf=True, current=BEDARF)
    assert 'value="2025-06-30"' in str(bedarf.ziele.entries[0].form.frist())
    assert bedarf.to_task_data() == BEDARF


def test_abschluss_schema_without_goals_allows_no_assessments() -> None:
    schema = form_schema(bind_form(AbschlussForm, make_ctx(), csrf=False))
    bewertungen = schema["properties"]["zielbewertungen"]
    assert bewertungen["maxItems"] == 0
    assert "minItems" not in bewertungen
    assert bewertungen["items"]["properties"]["bewertung"]["enum"][0] == "erreicht"
    assert "zielbewertungen" not in schema["required"]
    Draft202012Validator.check_schema(schema)
