"""API v1: the offers catalogue and the matching offers of a young adult's case."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.accesslog.models import CASE, VIEW
from app.accesslog.services import record
from app.api import ApiError, api_blueprint, describe, int_arg
from app.api.auth import require_token
from app.api.openapi import NULLABLE_STR, errors, json_response, path_id, query, ref
from app.auth.access import get_visible_instance_or_404
from app.offers import matching, services
from app.offers.access import may_match, may_use_catalogue
from app.offers.forms import KINDS, STATUSES
from app.offers.models import LEVELS, Offer

NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
SCHEMAS = {
    "Offer": {
        "type": "object",
        "required": ["id", "title", "kind", "provider", "description", "age_min", "age_max", "residence_statuses",
                     "benefits_systems", "min_german_level", "places", "places_taken", "places_free", "start",
                     "end", "active"],
        "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "provider": {"type": "object", "required": ["id", "name"],
                         "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                         "description": "Träger aus dem Partnerverzeichnis"},
            "description": {"type": "string"},
            "age_min": NULLABLE_INT, "age_max": NULLABLE_INT,
            "residence_statuses": {"type": "array", "items": {"type": "string", "enum": list(STATUSES)},
                                   "description": "zugelassene Aufenthaltsstatus; leer: alle"},
            "benefits_systems": {"type": "array", "items": {"type": "string"},
                                 "description": "zugelassene Leistungssysteme; leer: alle"},
            "min_german_level": {"type": ["string", "null"], "enum": [*LEVELS, None]},
            "places": {**NULLABLE_INT, "description": "null: ohne Begrenzung"},
            "places_taken": {"type": "integer"}, "places_free": NULLABLE_INT,
            "start": NULLABLE_DATE, "end": NULLABLE_DATE, "active": {"type": "boolean"},
        },
    },
    "OfferMatches": {
        "type": "object", "required": ["person", "matches", "excluded"],
        "properties": {
            "person": {"type": "object", "description": "was der Abgleich aus der Fallakte liest",
                       "properties": {"age": NULLABLE_INT, "residence_status": NULLABLE_STR,
                                      "benefits_system": NULLABLE_STR, "german_level": NULLABLE_STR,
                                      "needs": {"type": "array", "items": {"type": "string"}}}},
            "matches": {"type": "array", "description": "passende Angebote, beste zuerst", "items": {
                "type": "object", "required": ["rank", "offer", "reasons", "proposed"],
                "properties": {"rank": {"type": "integer"}, "offer": ref("Offer"),
                               "reasons": {"type": "array", "items": {"type": "string"}},
                               "proposed": {"type": "boolean", "description": "dem Fall bereits vorgeschlagen"}}}},
            "excluded": {"type": "array", "description": "nicht passende Angebote mit Grund", "items": {
                "type": "object", "required": ["offer", "reasons"],
                "properties": {"offer": ref("Offer"), "reasons": {"type": "array", "items": {"type": "string"}}}}},
        },
    },
}

bp = api_blueprint("offers_api", __name__, SCHEMAS)


def offer_json(offer: Offer) -> dict:
    return {"id": offer.id, "title": offer.titel, "kind": offer.art,
            "provider": {"id": offer.provider.id, "name": offer.provider.name}, "description": offer.beschreibung,
            "age_min": offer.alter_min, "age_max": offer.alter_max,
            "residence_statuses": list(offer.aufenthaltsstatus or []),
            "benefits_systems": list(offer.leistungssysteme or []), "min_german_level": offer.sprachniveau_min,
            "places": offer.plaetze, "places_taken": offer.plaetze_belegt, "places_free": offer.frei,
            "start": offer.beginn.isoformat() if offer.beginn else None,
            "end": offer.ende.isoformat() if offer.ende else None, "active": offer.active}


def _require_catalogue() -> int:
    user = g.api_user
    if not may_use_catalogue(user):
        raise ApiError(403, "forbidden", _("Den Angebotskatalog pflegt das Kommunale Integrationsmanagement."))
    return user.organisation_id


@bp.get("/offers")
@describe("listOffers", "Angebotskatalog Ihrer Organisation (Kommunales Integrationsmanagement)", tag="offers",
          parameters=[query("kind", "Art des Angebots", {"type": "string", "enum": list(KINDS)}),
                      query("residence_status", "nur Angebote, die bei diesem Aufenthaltsstatus zugänglich sind",
                            {"type": "string", "enum": list(STATUSES)}),
                      query("provider", "ID des Trägers", {"type": "integer"}),
                      query("active", "aktive (true, Vorgabe) oder deaktivierte (false) Angebote; all: alle",
                            {"type": "string", "enum": ["true", "false", "all"]})],
          responses={"200": json_response({"type": "array", "items": ref("Offer")}, "OK"),
                     **errors("400", "401", "403")})
@require_token
def list_offers():
    org = _require_catalogue()
    kind = request.args.get("kind") or None
    status = request.args.get("residence_status") or None
    active_arg = request.args.get("active", "true")
    if kind is not None and kind not in KINDS:
        raise ApiError(400, "bad_request", _("Unbekannte Art „%(art)s“.", art=kind))
    if status is not None and status not in STATUSES:
        raise ApiError(400, "bad_request", _("Unbekannter Aufenthaltsstatus „%(status)s“.", status=status))
    if active_arg not in ("true", "false", "all"):
        raise ApiError(400, "bad_request", _("„active“ ist true, false oder all."))
    provider = int_arg("provider", 0) or None
    active = {"true": True, "false": False}.get(active_arg)
    return jsonify([offer_json(o) for o in services.offers(org, art=kind, status=status, provider_id=provider,
                                                            active=active)])


@bp.get("/process-instances/<int:instance_id>/offer-matches")
@describe("listOfferMatches", "Passende Angebote für die Person eines Falls (mit Begründung) und die nicht "
          "passenden mit Grund; nur für das fallverantwortliche Team", tag="offers",
          parameters=[path_id("id", "ID des Falls")],
          responses={"200": json_response(ref("OfferMatches"), "OK"), **errors("401", "403", "404", "422")})
@require_token
def offer_matches(instance_id: int):
    user = g.api_user
    instance, level = get_visible_instance_or_404(user, instance_id)
    if instance.version.model.key != "junge_erwachsene":
        raise ApiError(422, "wrong_process", _("Angebote werden nur für Fälle „Junge Erwachsene“ abgeglichen."))
    if not may_match(user, instance, level):
        raise ApiError(403, "forbidden", _("Passende Angebote sieht das fallverantwortliche Team."))
    result = matching.match(instance.data or {}, user.organisation_id)
    proposed = services.proposals(instance.id)
    record(user, VIEW, CASE, instance.id, case_id=instance.id)
    person = result.person
    german = None if person.deutsch is None else (LEVELS[person.deutsch] if person.deutsch < len(LEVELS)
                                                  else matching.NATIVE)
    return jsonify({
        "person": {"age": person.alter, "residence_status": person.aufenthaltsstatus,
                   "benefits_system": person.leistungssystem, "german_level": german, "needs": list(person.bedarfe)},
        "matches": [{"rank": i, "offer": offer_json(m.offer), "reasons": m.reasons, "proposed": m.offer.id in proposed}
                    for i, m in enumerate(result.matches, start=1)],
        "excluded": [{"offer": offer_json(m.offer), "reasons": m.reasons} for m in result.excluded],
    })
