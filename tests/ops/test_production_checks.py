"""APP_ENV=production refuses unsafe settings at start, naming every problem at once."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.config import ProductionConfigError, load_config

PG = "postgresql+psycopg://app:app@127.0.0.1:1/not_used"  # never connected at start


def _good(tmp_path, **changes) -> dict:
    config = {"ENV_NAME": "production", "SECRET_KEY": "k" * 48, "SQLALCHEMY_DATABASE_URI": PG,
              "APP_BASE_URL": "https://fallwerk.example.org", "SMTP_HOST": "mail.example.org",
              "TRUSTED_PROXY_HOPS": 1, "SECRET_ENCRYPTION_KEY": "e" * 43, "INSTANCE_DIR": str(tmp_path)}
    config.update(changes)
    return config


def _problems(config: dict) -> list[str]:
    with pytest.raises(ProductionConfigError) as refused:
        create_app(config)
    assert str(refused.value).startswith("APP_ENV=production refuses to start")
    return refused.value.problems


def test_a_safe_production_configuration_starts_with_secure_cookies(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(_good(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert not [r for r in caplog.records if "production settings" in r.getMessage()]


@pytest.mark.parametrize("changes, setting", [
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:///instance/app.db"}, "DATABASE_URL: SQLite"),
    ({"SECRET_KEY": ""}, "SECRET_KEY: not set"),
    ({"SECRET_KEY": "dev-only-insecure-secret-key-change-me"}, "SECRET_KEY: a published"),
    ({"SECRET_KEY": "short-key"}, "SECRET_KEY: shorter than 32"),
    ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    ({"APP_BASE_URL": "http://fallwerk.example.org"}, "APP_BASE_URL: must be the public https://"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
])
def test_each_unsafe_setting_is_refused(tmp_path, changes, setting):
    problems = _problems(_good(tmp_path, **changes))
    assert len(problems) == 1 and problems[0].startswith(setting), problems


def test_all_problems_are_listed_at_once(tmp_path):
    problems = _problems(_good(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite:///x.db", SECRET_KEY="",
                               SESSION_COOKIE_SECURE=False, APP_BASE_URL="http://x"))
    assert [p.split(":")[0] for p in problems] == ["DATABASE_URL", "SECRET_KEY", "SESSION_COOKIE_SECURE",
                                                   "APP_BASE_URL"]


def test_a_generated_secret_key_is_not_enough_in_production(tmp_path):
    (tmp_path / "secret_key").write_text("g" * 64)  # what development mode would have generated
    assert _problems(_good(tmp_path, SECRET_KEY=""))[0].startswith("SECRET_KEY: not set")


def test_missing_smtp_and_proxy_hops_only_warn(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        create_app(_good(tmp_path, SMTP_HOST="", TRUSTED_PROXY_HOPS=0, SECRET_ENCRYPTION_KEY=""))
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "SMTP_HOST is not set" in warnings and "TRUSTED_PROXY_HOPS is 0" in warnings
    assert "SECRET_ENCRYPTION_KEY is not set" in warnings
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(_good(tmp_path, SECRET_ENCRYPTION_KEY="k" * 43))
    assert "SECRET_ENCRYPTION_KEY" not in " ".join(r.getMessage() for r in caplog.records)


def test_secure_cookies_default_on_in_production_only(monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert load_config({"ENV_NAME": "production"})["SESSION_COOKIE_SECURE"] is True
    assert load_config({"ENV_NAME": "development"})["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert load_config({"ENV_NAME": "production"})["SESSION_COOKIE_SECURE"] is False  # and then refused
