"""The files in deploy/: gunicorn's configuration loads and is sane, the systemd units parse
(systemd-analyze verify where available) and carry the limits and hardening, nginx keeps
/metrics private and allows the upload size the app allows."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import PUBLISHED_SECRET_KEYS, load_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ("fallwerk-web.service", "fallwerk-timers.service")


def _gunicorn_settings(env: dict[str, str]) -> dict:
    code = ("import json, runpy; s = runpy.run_path('deploy/gunicorn.conf.py'); "
            "print(json.dumps({k: s[k] for k in ('bind', 'workers', 'threads', 'timeout', 'graceful_timeout', "
            "'max_requests', 'max_requests_jitter', 'forwarded_allow_ips', 'accesslog', 'access_log_format', "
            "'worker_class')} | {k: s.get(k) for k in ('control_socket', 'control_socket_disable', "
            "'logconfig_dict')}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONCURRENCY"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                            capture_output=True, text=True, check=True)
    import json

    return json.loads(result.stdout)


def test_gunicorn_config_is_importable_and_sane():
    settings = _gunicorn_settings({})
    assert 2 <= settings["workers"] <= max(2, os.cpu_count() or 1)  # never more workers than cores (min 2)
    assert settings["worker_class"] == "sync" and settings["threads"] == 1
    assert settings["timeout"] >= 30 and 0 < settings["graceful_timeout"] <= settings["timeout"]
    assert settings["max_requests"] > 0 and 0 < settings["max_requests_jitter"] < settings["max_requests"]
    assert settings["bind"] == ["127.0.0.1:8000"]  # only nginx talks to gunicorn
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert settings["accesslog"] == "-"
    import json

    log_format = json.loads(settings["access_log_format"])
    assert log_format["path"] == "%(U)s"  # no query string
    assert log_format["request_id"] == "%({x-request-id}o)s"


def test_gunicorn_config_follows_the_environment():
    settings = _gunicorn_settings({"GUNICORN_WORKERS": "3", "GUNICORN_TIMEOUT": "90",
                                   "GUNICORN_BIND": "unix:/run/fallwerk-web/sock"})
    assert settings["workers"] == 3 and settings["timeout"] == 90
    assert settings["bind"] == ["unix:/run/fallwerk-web/sock"]
    assert settings["control_socket_disable"] is True and settings["logconfig_dict"] is None


def test_under_systemd_json_logs_and_the_control_socket_go_to_their_places():
    settings = _gunicorn_settings({"RUNTIME_DIRECTORY": "/run/fallwerk-web", "LOG_FORMAT": "json"})
    assert settings["control_socket"] == "/run/fallwerk-web/gunicorn.ctl"
    assert settings["logconfig_dict"]["formatters"]["json"]["()"] == "app.ops.logs.JsonFormatter"


def test_gunicorn_prometheus_hooks(tmp_path, monkeypatch):
    import runpy

    hooks = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    directory = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")
    hooks["on_starting"](None)
    assert directory.is_dir() and not list(directory.iterdir())

    class Worker:
        pid = 123

    hooks["child_exit"](None, Worker())  # marks the worker dead (no file: nothing to do)


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name)
    return parser


@pytest.mark.parametrize("name", UNITS)
def test_systemd_units_have_limits_user_and_hardening(name):
    service = _unit(name)["Service"]
    assert service["User"] == "fallwerk" and service["EnvironmentFile"] == "/etc/fallwerk/fallwerk.env"
    assert service["Restart"] == "on-failure"
    assert re.fullmatch(r"\d+[KMG]", service["MemoryMax"])
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/var/lib/fallwerk"
    assert _unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_the_units_start_gunicorn_and_the_timer_worker():
    assert "gunicorn --config /opt/fallwerk/deploy/gunicorn.conf.py wsgi:app" in \
        _unit("fallwerk-web.service")["Service"]["ExecStart"]
    assert _unit("fallwerk-timers.service")["Service"]["ExecStart"].endswith("flask --app wsgi timers run --interval 1")
    assert _unit("fallwerk-web.service")["Service"]["Environment"].startswith("PROMETHEUS_MULTIPROC_DIR=/run/")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verifies_the_units(tmp_path, name):
    """The unit as installed, with /opt/fallwerk pointing at this checkout (verify checks that
    the programs exist)."""
    text = (DEPLOY / "systemd" / name).read_text().replace("/opt/fallwerk", str(ROOT))
    unit = tmp_path / name
    unit.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if name in line and "User=" not in line and "fallwerk.env" not in line]
    assert result.returncode == 0 or not problems, result.stdout + result.stderr


def test_nginx_example_keeps_metrics_private_and_sizes_uploads():
    conf = (DEPLOY / "nginx" / "fallwerk.conf").read_text()
    proxy = (DEPLOY / "nginx" / "fallwerk_proxy.conf").read_text()
    assert re.search(r"location = /metrics \{\s*return 404;", conf)
    assert 'Strict-Transport-Security "max-age=63072000' in conf and "listen 443 ssl" in conf
    size = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1)) * 1024 * 1024
    limits = load_config()
    assert size == limits["MAX_CONTENT_LENGTH"] >= limits["DOCUMENT_MAX_BYTES"]
    assert size >= limits["MODELER_MAX_BPMN_BYTES"]
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "X-Request-ID $request_id"):
        assert f"proxy_set_header {header};" in proxy


def test_the_example_environment_is_refused_until_its_secret_is_changed():
    env = dict(line.split("=", 1) for line in (DEPLOY / "fallwerk.env.example").read_text().splitlines()
               if line and not line.startswith("#"))
    assert env["APP_ENV"] == "production" and env["SECRET_KEY"] in PUBLISHED_SECRET_KEYS
    assert env["APP_BASE_URL"].startswith("https://") and env["TRUSTED_PROXY_HOPS"] == "1"
