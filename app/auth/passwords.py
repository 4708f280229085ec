"""Password policy for every password set in the app (not the demo accounts' "demo").

Length first (NIST SP 800-63B: length beats composition rules), then a list of common passwords
(``common_passwords.txt``, English and German) — also with trailing digits and symbols removed,
so that ``passwort123456`` fails like ``passwort`` — and not the user name.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

LIST_FILE = Path(__file__).with_name("common_passwords.txt")
MAX_LENGTH = 200  # hashing cost and form size stay bounded
_TAIL = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_common(password: str) -> bool:
    lowered = password.lower()
    stripped = _TAIL.sub("", lowered)
    known = common_passwords()
    return lowered in known or (len(stripped) >= 4 and stripped in known) or len(set(lowered)) <= 2


def password_problems(password: str, username: str) -> list[str]:
    """German messages for each rule ``password`` breaks (empty: acceptable)."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Das Passwort muss mindestens %(min)d Zeichen lang sein.", min=minimum))
    elif len(password) > MAX_LENGTH:
        problems.append(_("Das Passwort darf höchstens %(max)d Zeichen lang sein.", max=MAX_LENGTH))
    if _is_common(password):
        problems.append(_("Dieses Passwort ist zu verbreitet und leicht zu erraten. "
                          "Bitte wählen Sie ein anderes."))
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        problems.append(_("Das Passwort darf den Benutzernamen nicht enthalten."))
    return problems
