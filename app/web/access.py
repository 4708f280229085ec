"""Role decorators: the first of the two access checks every HTML view makes.

Why: views used to open with ``if not current_user.has_role(...): abort(403)``, written a little
differently in each feature, and a route that forgot the line was open to every signed-in user.
The decorator says on the route who may use it, and leaves a mark (``required_roles``) that
``tests/web/test_route_access.py`` reads for every route of the app: a route without the mark
must be on that test's documented list of public endpoints.

The per-object check (``case.can_view(user)``, team membership …) stays in the view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from flask_login import login_required as _flask_login_required

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute set on every view guarded here: the roles it admits (empty: any signed-in user).
ROLES_ATTR = "required_roles"


def roles_required(*roles: str, message: Any = None) -> Callable[[F], F]:
    """Sign-in required (the login page otherwise), then one of ``roles`` (403 otherwise).

    ``has_role`` decides, as everywhere else; ``message`` (may be lazy) becomes the 403 text.
    Without roles any signed-in user passes.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if roles and not current_user.has_role(*roles):
                if message is not None:
                    abort(403, str(message))
                abort(403)
            return view(*args, **kwargs)

        guarded = _flask_login_required(checked)
        setattr(guarded, ROLES_ATTR, tuple(roles))
        return guarded

    return decorator


def login_required(view: F) -> F:
    """Any signed-in user; the per-object check in the view decides the rest."""
    return roles_required()(view)
