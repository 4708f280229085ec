"""Request ids, JSON log lines and the Prometheus metrics (content and protection)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from app.auth.models import User
from app.engine.isolation import IsolatedEnvironment
from app.extensions import db
from app.ops.logs import JsonFormatter, configure_logging, request_id_from
from app.timers.services import fire_due
from tests.engine.conftest import engine_case, fixture_lanes  # noqa: F401 - the timer process
from tests.engine.test_timers import running_assignment  # noqa: F401

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "fallwerk.request"]


# --- request id and log lines ---------------------------------------------------------------------

def test_an_incoming_request_id_is_kept_and_returned(client, caplog):
    with caplog.at_level(logging.INFO, logger="fallwerk.request"):
        response = client.get("/login", headers={"X-Request-ID": "lb-4711.a:b_c"})
    assert response.headers["X-Request-ID"] == "lb-4711.a:b_c"
    assert _request_records(caplog)[-1].request_id == "lb-4711.a:b_c"


@pytest.mark.parametrize("header", ["x" * 65, "bad id", "<script>", "ä", ""])
def test_a_bad_request_id_is_replaced(client, header):
    returned = client.get("/healthz", headers={"X-Request-ID": header}).headers["X-Request-ID"]
    assert returned != header and len(returned) == 32 and int(returned, 16) >= 0


def test_every_answer_gets_a_fresh_id(client):
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second and request_id_from(None) != first


def test_the_request_line_in_json_has_the_fields_and_no_personal_query(app, login_as, caplog):
    client = login_as("fb36")
    with app.app_context():
        fb36_id = db.session.scalar(select(User.id).where(User.username == "fb36"))
    with caplog.at_level(logging.INFO, logger="fallwerk.request"):
        response = client.get("/suche?q=Mustermann", headers={"X-Request-ID": "req-1"})
    record = _request_records(caplog)[-1]
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "req-1" and entry["logger"] == "fallwerk.request" and entry["level"] == "INFO"
    assert entry["method"] == "GET" and entry["path"] == "/suche" and entry["endpoint"] == "search.index"
    assert entry["status"] == response.status_code and isinstance(entry["duration_ms"], float)
    assert entry["user_id"] == fb36_id  # read after the commit without reloading the user
    datetime.fromisoformat(entry["time"])
    assert "Mustermann" not in line and "?" not in line


def test_ids_in_the_path_appear_as_the_route_pattern(login_as, caplog):
    client = login_as("fb36")
    with caplog.at_level(logging.INFO, logger="fallwerk.request"):
        client.get("/faelle/999999")
    assert _request_records(caplog)[-1].path == "/faelle/<int:instance_id>"


def test_json_logging_puts_the_request_id_on_app_log_lines(app, capsys):
    handler = configure_logging("json")
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "abc"}):
            app.preprocess_request()
            logging.getLogger("app.something").warning("plain message %s", 1)
        entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert entry["message"] == "plain message 1" and entry["request_id"] == "abc"
        assert entry["level"] == "WARNING" and entry["logger"] == "app.something"
        # the engine's per-state-change INFO lines stay out of the operator's log
        assert not logging.getLogger("spiff.task").isEnabledFor(logging.INFO)
        assert logging.getLogger("spiff.task").isEnabledFor(logging.WARNING)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger("spiff").setLevel(logging.NOTSET)


# --- metrics ----------------------------------------------------------------------------------------

def _metrics(client, **kwargs) -> dict[str, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            key = sample.name + ("{" + ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items())) + "}"
                                 if sample.labels else "")
            values[key] = sample.value
    return values


def test_metrics_count_completions_timers_sandbox_and_requests(app, client, clock, running_assignment):  # noqa: F811
    before = _metrics(client)
    ende = date.today() + timedelta(days=30)
    case_id = running_assignment(ende)  # four completions
    due = datetime(ende.year, ende.month, ende.day, 7, 0, tzinfo=UTC)
    clock.set(due + timedelta(seconds=40))  # the worker fires 40 s late
    with app.app_context():
        assert fire_due(clock.now) == 1
        IsolatedEnvironment().evaluate("1 + 1", {})
    client.get("/healthz")
    after = _metrics(client)

    def grew(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert case_id and grew("fallwerk_task_completions_total") == 4
    assert grew("fallwerk_timer_lag_seconds_count") == 1
    assert 39 <= grew("fallwerk_timer_lag_seconds_sum") <= 41
    assert grew("fallwerk_timer_lag_seconds_bucket{le=30.0}") == 0
    assert grew("fallwerk_timer_lag_seconds_bucket{le=60.0}") == 1
    assert grew("fallwerk_sandbox_evaluations_total{mode=eval,result=ok}") >= 1
    assert grew("fallwerk_http_request_duration_seconds_count{endpoint=ops.healthz,method=GET,status=2xx}") == 1
    assert after["fallwerk_mail_queue"] >= 0 and after["fallwerk_database_up"] == 1


def test_latency_labels_stay_bounded(client):
    client.get("/gibt-es-nicht/12345")
    client.open("/healthz", method="BREW")
    keys = [k for k in _metrics(client) if k.startswith("fallwerk_http_request_duration_seconds_count")]
    assert any("endpoint=unmatched,method=GET,status=4xx" in k for k in keys)
    assert not any("12345" in k or "BREW" in k for k in keys)


def test_metrics_are_hidden_from_other_clients(make_app):
    app = make_app({"METRICS_TOKEN": "s3cret-token"})
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE,
                      headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE,
                      headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_allow_list_takes_networks_and_no_token_means_no_token(make_app):
    app = make_app({"METRICS_ALLOWED_IPS": ["10.0.0.0/8"], "METRICS_TOKEN": ""})
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # 127.0.0.1 is no longer on the list
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_behind_a_trusted_proxy_the_forwarded_client_counts(make_app):
    app = make_app({"TRUSTED_PROXY_HOPS": 1})
    client = app.test_client()
    # nginx on 127.0.0.1 forwards a public client: refused although the TCP peer is local.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    # A forged X-Forwarded-For in front of the real one does not help (ProxyFix takes the last hop).
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}).status_code == 404
