"""MBE (Migrationsberatung für erwachsene Zuwanderer): clients, confidentiality, handover and
statistics around the ``mbe_beratung`` process.

Confidentiality rests on the general access rules (``app/auth/access.py``): the process model is
``confidential``, so the owner team's participant row admits only the team's leads; the
responsible counsellor takes part personally (``ProcessInstance.responsible_id``, else the
starter). Municipal staff, volunteers, process owners and admins have no participant row.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.accesslog.services import register_client_lookup
    from app.engine import events as event_kinds
    from app.engine import signals
    from app.mbe.clients import client_id_of
    from app.mbe.consent import referral_refusal
    from app.mbe.hooks import after_completion
    from app.mbe.routes import bp
    from app.network.services import register_referral_check

    register_client_lookup(client_id_of)  # the access log names the client of an MBE case
    register_referral_check(referral_refusal)  # consent binds every referral of an MBE case
    signals.task_completed.connect(after_completion)  # idempotent: one connection per receiver
    event_kinds.register("mbe_handover", _l("Fall übergeben an"))
    event_kinds.register("mbe_client_linked", _l("Mit Klient/in verknüpft"))
    event_kinds.register("mbe_consent_withdrawn", _l("Einwilligung widerrufen: personenbezogene Daten gelöscht"))
    event_kinds.register("mbe_client_unlinked", _l("Ohne Einwilligung: anonym geführt"))
    app.register_blueprint(bp)
