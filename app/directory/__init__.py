"""Directory login (LDAP / Active Directory, OpenID Connect): accounts created on first login,
teams and roles from the directory's groups through an admin-edited mapping table."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The mapping admin page, ``flask directory sync`` and the LDAP password check behind the
    login form and the token endpoint (app/auth/throttle.py asks it for non-local names)."""
    from app.auth.throttle import PASSWORD_DIRECTORY_KEY
    from app.directory import ldap
    from app.directory.cli import register_directory_cli
    from app.directory.routes import bp

    app.register_blueprint(bp)
    register_directory_cli(app)
    app.extensions[PASSWORD_DIRECTORY_KEY] = ldap.authenticate
