"""The shape of API v1: every feature's endpoints on an ``api_blueprint``, described next to the
view, assembled into one document; the kernel (app/api) imports no feature."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask

from app.api import ApiError, api_blueprint, api_error
from app.api.openapi import describe, openapi_document
from app.engine import service
from app.extensions import csrf

BASE = "/api/v1"
# Every operation of the document as it was hand-built in app/api/openapi.py and three
# openapi_doc.py files before the endpoints moved to their features: nothing lost, nothing new.
DOCUMENTED = {
    ("post", "/tokens"), ("delete", "/tokens/current"), ("get", "/me"), ("get", "/processes"),
    ("get", "/process-instances"), ("post", "/process-instances"), ("get", "/process-instances/{id}"),
    ("post", "/process-instances/{id}/crisis"), ("post", "/process-instances/{id}/interventions"),
    ("post", "/process-instances/{instance_id}/handover"),
    ("post", "/process-instances/{id}/legal-hold"), ("delete", "/process-instances/{id}/legal-hold"),
    ("get", "/process-instances/{instance_id}/messages"), ("post", "/process-instances/{instance_id}/messages"),
    ("get", "/process-instances/{instance_id}/expenses"), ("post", "/process-instances/{instance_id}/expenses"),
    ("get", "/tasks"), ("get", "/tasks/{id}"), ("post", "/tasks/{id}/claim"), ("post", "/tasks/{id}/unclaim"),
    ("post", "/tasks/{id}/complete"), ("get", "/statistics"), ("get", "/mbe/statistics"),
    ("get", "/process-models"), ("get", "/process-models/{key}/versions"),
    ("get", "/process-models/{key}/versions/{n}/bpmn"), ("post", "/process-models/{key}/drafts"),
    ("get", "/process-models/{key}/drafts/{draft_id}"), ("post", "/process-models/{key}/drafts/{draft_id}/publish"),
    ("post", "/process-models/{key}/drafts/{draft_id}/approve"),
    ("post", "/process-models/{key}/drafts/{draft_id}/reject"), ("get", "/openapi.json"),
    ("post", "/process-models"),  # issue 16: a new process model (app/processsetup/api.py)
    # issue 13 (api-v1.md "Added with the next features")
    ("get", "/appointments"), ("post", "/appointments"),
    # case file (issue 13): documents
    ("get", "/process-instances/{id}/documents"), ("post", "/process-instances/{id}/documents"),
    ("get", "/documents/{id}"),
    ("get", "/search"),
    ("get", "/process-instances/{id}/journal"), ("post", "/process-instances/{id}/journal"),  # issue 13: journal
    ("get", "/clients/{id}/export"), ("get", "/process-instances/{id}/export"),  # issue 14: Art. 15 export
    ("get", "/access-log"),  # issue 14: the access log (data protection officer)
    ("get", "/offers"), ("get", "/process-instances/{id}/offer-matches"),  # issue 15: offers catalogue
    ("post", "/process-instances/{id}/partners"), ("delete", "/process-instances/{id}/partners/{username}"),  # issue 15
    ("get", "/forms"), ("post", "/forms"), ("get", "/forms/{key}"), ("put", "/forms/{key}"),  # issue 16: form builder
    ("get", "/alliance/figures"),  # issue 15: the alliance figures of the young adults' case management
    ("post", "/process-models/{key}/drafts/{draft_id}/dry-run"),  # issue 16: dry run of a draft
}
# What the kernel may import: itself, the app's plumbing, the engine's exceptions, the transaction edge,
# the user and token rows, and forms.form_schema. Never a feature (features import app.api).
KERNEL_IMPORTS = ("app.api", "app.extensions", "app.web.bounds", "app.web.errors", "app.timeutil", "app.engine",
                  "app.auth.models", "app.transaction",
                  "forms")


def test_document_has_exactly_the_operations_of_the_contract(client):
    doc = client.get(f"{BASE}/openapi.json").get_json()
    operations = {(method, path.removeprefix(BASE)) for path, ops in doc["paths"].items() for method in ops}
    assert operations == DOCUMENTED
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_every_documented_operation_is_a_real_route(app, client):
    doc = client.get(f"{BASE}/openapi.json").get_json()
    routes = {(method.lower(), re.sub(r"<(?:\w+:)?\w+>", "{}", rule.rule))
              for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    for path, ops in doc["paths"].items():
        for method in ops:
            assert (method, re.sub(r"\{\w+\}", "{}", path)) in routes, (method, path)


def test_every_api_route_is_on_an_api_blueprint_with_json_errors_and_no_csrf(app):
    """Whatever feature owns an endpoint, it answers errors the same way and needs no CSRF token."""
    names = {rule.endpoint.partition(".")[0] for rule in app.url_map.iter_rules()
             if rule.rule.startswith(f"{BASE}/") and rule.rule != f"{BASE}/openapi.json"}
    assert {"auth_api", "cases_api", "inbox_api", "mbe_api", "modeler_api", "monitor_api", "statistics_api",
            "volunteers_api"} <= names
    # The engine's errors and lost races: once for the whole app (app/transaction.py), none per blueprint.
    for exc in (service.ConflictError, service.ForbiddenError, service.EngineError):
        assert exc in app.error_handler_spec[None][None], exc
    for name in names:
        assert app.blueprints[name].url_prefix == BASE
        assert ApiError in app.error_handler_spec[name][None], name
        assert app.blueprints[name] in csrf._exempt_blueprints, name


def test_mbe_endpoints_answer_conflicts_like_the_others(app):
    """app/mbe/api.py used to copy the handlers and missed the lost-race one; now one set serves all."""
    assert app.error_handler_spec["mbe_api"][None].keys() == app.error_handler_spec["cases_api"][None].keys()


def test_the_document_says_which_endpoints_need_a_token(app):
    """Only the endpoints documented without security (sign-in, this document) go without
    ``@require_token``; every other one is documented as needing the bearer token."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{BASE}/"):
            view = app.view_functions[rule.endpoint]
            public = view.openapi.extra.get("security") == []
            assert getattr(view, "requires_token", False) is not public, rule.rule


def test_api_error_is_the_one_error_shape(app):
    with app.test_request_context():
        response = api_error(422, "validation_failed", "Nein.", {"name": ["Fehlt."]})
        assert response.status_code == 422
        assert response.get_json() == {"error": {"code": "validation_failed", "message": "Nein.",
                                                 "fields": {"name": ["Fehlt."]}}}
        assert api_error(404, "not_found", "Weg.").get_json() == {"error": {"code": "not_found", "message": "Weg."}}


def test_an_undescribed_api_route_stops_the_document():
    """A new endpoint without @describe cannot silently fall out of the document."""
    def tiny_app(with_forgotten: bool) -> Flask:
        bp = api_blueprint("tiny_api", __name__, {"Thing": {"type": "object"}})

        @bp.get("/described/<int:thing_id>")
        @describe("getThing", "Ein Ding", tag="meta", responses={"200": {"description": "OK"}},
                  parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}])
        def described(thing_id: int):
            return ""

        if with_forgotten:
            @bp.get("/forgotten")
            def forgotten():
                return ""

        tiny = Flask(__name__)
        tiny.register_blueprint(bp)
        return tiny

    doc = openapi_document(tiny_app(False))
    assert list(doc["paths"]) == [f"{BASE}/described/{{id}}"]  # the rule's <int:thing_id> named as described
    assert doc["components"]["schemas"]["Thing"] == {"type": "object"}
    with pytest.raises(LookupError, match="forgotten"):
        openapi_document(tiny_app(True))


def test_kernel_imports_no_feature():
    kernel = Path(__file__).parents[2] / "app" / "api"
    for path in kernel.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "app":  # from app import transaction
                modules = [f"app.{a.name}" for a in node.names]
            else:
                modules = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                           else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for module in modules:
                if module.startswith(("app", "forms")):
                    assert module.startswith(KERNEL_IMPORTS), (path.name, module)
