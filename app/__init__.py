"""Application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l

from app.config import PUBLISHED_SECRET_KEYS, load_config
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.timeutil import use_office_timezone

use_office_timezone()  # date.today() is the office's day (see app/timeutil.py)


def select_locale() -> str:
    if not has_request_context():  # CLI and timer worker: German
        return "de"
    lang = request.args.get("lang") or session.get("lang")
    if lang in ("de", "en"):
        return lang
    if "api_locale" in g:  # read at sign-in (app/api/auth.py), not from a session that may have failed
        return g.api_locale or "de"
    user = getattr(g, "api_user", None)
    return getattr(user, "locale", None) or "de"


def _tune_sqlite(engine) -> None:
    """WAL lets readers work while one request writes; NORMAL sync is safe with WAL."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    from app.ops.logs import configure_from_config

    configure_from_config(app)  # LOG_FORMAT: JSON or text lines on stderr (not under tests)
    if app.config["ENV_NAME"] == "production":  # refuse unsafe settings, all named at once (app/config.py)
        _check_production(app)
    if app.config["SECRET_KEY"] in PUBLISHED_SECRET_KEYS:
        raise RuntimeError("SECRET_KEY is a published key; set your own or leave it empty to generate one.")
    if not app.config["SECRET_KEY"]:  # generated once per installation (app/auth/secret.py)
        from app.auth.secret import installation_secret

        app.config["SECRET_KEY"] = installation_secret(app.config["INSTANCE_DIR"])
    if app.config["TRUSTED_PROXY_HOPS"] > 0:  # X-Forwarded-For/-Proto only from that many proxies
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}

    db.init_app(app)
    from app import ops

    ops.init_app(app)  # request id, JSON logs, metrics hooks, /healthz /readyz /metrics; before other hooks
    if uri.startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine)
    from app.web import bounds

    bounds.init_app(app)  # body/JSON/id limits; before any blueprint (the bounded <int:> converter)
    migrate.init_app(app, db, render_as_batch=True, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Bitte melden Sie sich an.")
    login_manager.session_protection = "strong"
    from app.auth.sessions import init_app as init_sessions

    init_sessions(app)  # idle timeout and session lifetime

    from app import models  # noqa: F401 - register every table
    from app.absence.routes import bp as absence_bp
    from app.accesslog.routes import bp as accesslog_bp
    from app.appointments.routes import bp as appointments_bp
    from app.auth.routes import bp as auth_bp
    from app.cases.routes import bp as cases_bp
    from app.cli import register_cli
    from app.counselling.routes import bp as counselling_bp
    from app.inbox.routes import bp as inbox_bp
    from app.journal.routes import bp as journal_bp
    from app.modeler.routes import bp as modeler_bp
    from app.monitor.routes import bp as monitor_bp
    from app.network.routes import bp as network_bp
    from app.notify import mailer as notify_mailer
    from app.notify.routes import bp as notify_bp
    from app.privacy.routes import bp as privacy_bp
    from app.statistics.routes import bp as statistics_bp
    from app.volunteers.routes import bp as volunteers_bp
    from app.web import register_web
    from app.worktime.routes import bp as worktime_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(absence_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(monitor_bp)
    app.register_blueprint(modeler_bp)
    from app.modeler.approval_routes import bp as modeler_approval_bp

    app.register_blueprint(modeler_approval_bp)  # four-eyes: approval page with the diff, rejection, setting
    from app.processsetup.routes import bp as processsetup_bp

    app.register_blueprint(processsetup_bp)  # new process models, starter teams and lane rules as data
    from app.modeler.outline_views import bp as modeler_outline_bp

    app.register_blueprint(modeler_outline_bp)  # a draft's outline as an editing path (keyboard, no diagram)
    app.register_blueprint(counselling_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(accesslog_bp)  # the data protection officer's search of the access log
    app.register_blueprint(notify_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(appointments_bp)  # appointments, "Meine Termine", calendar feed
    app.register_blueprint(worktime_bp)  # time outside cases; working-time shares (seed 004)
    from app.search.routes import bp as search_bp

    app.register_blueprint(search_bp)  # the case search (header field, /suche)
    app.register_blueprint(journal_bp)  # the case journal (also its case-view section)
    notify_mailer.init_app(app)
    from app.mbe import init_app as init_mbe

    init_mbe(app)  # MBE pages, completion hook
    from app.documents import init_app as init_documents

    init_documents(app)  # files on cases and volunteers' profiles, the case view's documents section
    from app.decisions.routes import bp as decisions_bp
    from app.mbeplan.routes import bp as mbeplan_bp

    app.register_blueprint(decisions_bp)  # decision tables (DMN) for process owners
    app.register_blueprint(mbeplan_bp)  # printable Integrationsvereinbarung of MBE cases
    from app.formsignals import services as formsignals  # noqa: F401  # ticked "must know" fields: to-dos
    from app.plans.routes import bp as plans_bp

    app.register_blueprint(plans_bp)  # the living plan: goals changed at and between reviews
    from app.retention.routes import bp as retention_bp

    app.register_blueprint(retention_bp)  # retention periods, legal holds, upcoming erasures
    from app.disclosure.routes import bp as disclosure_bp

    app.register_blueprint(disclosure_bp)  # the right of access (Art. 15): the ZIP of a client or case
    from app.youngadults.routes import bp as youngadults_bp

    app.register_blueprint(youngadults_bp)  # young adults 18-27: transitions, the case view's situation section
    from app.offers.routes import bp as offers_bp

    app.register_blueprint(offers_bp)  # the offers catalogue, matching for a case, the gap report
    from app.partners.routes import bp as partners_bp

    app.register_blueprint(partners_bp)  # partner staff invited to young adults' cases through consent
    from app.alliance.routes import bp as alliance_bp

    app.register_blueprint(alliance_bp)  # the alliance figures of the young adults' case management (masked)
    from app.modeler.dryrun_routes import bp as dryrun_bp

    app.register_blueprint(dryrun_bp)  # dry run of a process draft (Probelauf), nothing stored
    from app.casecontext import routes as _casecontext  # noqa: F401 - the case header's assignment panel
    from app.formbuilder import services as formbuilder
    from app.formbuilder.routes import bp as formbuilder_bp
    from app.modeler.services import version_published

    app.register_blueprint(formbuilder_bp)  # the form builder (/formulare) for process owners
    from app.useradmin.routes import bp as useradmin_bp

    app.register_blueprint(useradmin_bp)  # accounts for admins (/admin/konten): create, edit, roles, teams
    version_published.connect(formbuilder.pin_published_version)  # pin builder form versions
    from app.directory.oidc import init_app as init_oidc

    init_oidc(app)  # login with OpenID Connect (/login/oidc), the button on the login page
    from app.directory import init_app as init_directory

    init_directory(app)  # LDAP login, /admin/verzeichnis (group mapping), flask directory sync
    register_api(app)
    register_web(app)
    register_cli(app)
    from app import transaction

    transaction.init_app(app)  # last: wraps every view registered above (one commit per request)
    return app


def _check_production(app: Flask) -> None:
    from app.config import ProductionConfigError, production_problems

    problems, warnings = production_problems(app.config)
    if problems:
        raise ProductionConfigError(problems)
    for warning in warnings:
        app.logger.warning("production settings: %s", warning)


def register_api(app: Flask) -> None:
    """The JSON API v1: each feature's endpoints on its own blueprint (app/<feature>/api.py, made
    by app.api.api_blueprint) and the OpenAPI document assembled from their descriptions."""
    from app.accesslog.api import bp as accesslog_api
    from app.alliance.api import bp as alliance_api
    from app.api.openapi import bp as openapi_bp
    from app.appointments.api import bp as appointments_api
    from app.auth.api import bp as auth_api
    from app.cases.api import bp as cases_api
    from app.disclosure.api import bp as disclosure_api
    from app.documents.api import bp as documents_api
    from app.formbuilder.api import bp as formbuilder_api
    from app.inbox.api import bp as inbox_api
    from app.journal.api import bp as journal_api
    from app.mbe.api import bp as mbe_api
    from app.modeler.api import bp as modeler_api
    from app.monitor.api import bp as monitor_api
    from app.offers.api import bp as offers_api
    from app.partners.api import bp as partners_api
    from app.processsetup.api import bp as processsetup_api
    from app.retention.api import bp as retention_api
    from app.search.api import bp as search_api
    from app.statistics.api import bp as statistics_api
    from app.volunteers.api import bp as volunteers_api

    for bp in (auth_api, cases_api, inbox_api, monitor_api, modeler_api, statistics_api, volunteers_api, mbe_api,
               appointments_api, documents_api, journal_api, search_api, retention_api, disclosure_api,
               accesslog_api, offers_api, partners_api, alliance_api, processsetup_api, formbuilder_api,
               openapi_bp):
        app.register_blueprint(bp)
    from app.modeler.dryrun_api import bp as dryrun_api

    app.register_blueprint(dryrun_api)  # POST /process-models/{key}/drafts/{id}/dry-run
