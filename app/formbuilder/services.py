"""Builder forms: saving versions, pinning them to process versions, resolving a form key.

``form_class_for(form_key, process_version_id)`` is the one lookup of a task's form class: a code
form (``forms.FORMS``) wins; a builder form resolves to the version pinned for that process
version when it was published, else to its newest version. So a running case keeps the form
version its process version was published with, and a new process version takes the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.models import User
from app.engine import service
from app.engine.models import ProcessModel, ProcessVersion
from app.extensions import db
from app.formbuilder.models import FormDefinition, FormDefinitionVersion, ProcessVersionForm
from app.timeutil import utcnow
from forms import ACTION_FORMS, FORMS, TaskForm
from forms.builder import build_form_class, check_definition, content_hash, normalize, volunteer_fields


class DefinitionProblems(Exception):
    """A definition that cannot be saved: every problem, ``[{"path", "message"}]``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(_("Die Formulardefinition hat Fehler."))
        self.problems = problems


class FormExists(Exception):
    pass


# --- reading -------------------------------------------------------------------------------


def get_form(key: str) -> FormDefinition | None:
    return db.session.scalar(select(FormDefinition).where(FormDefinition.key == key))


def all_forms() -> list[FormDefinition]:
    return list(db.session.scalars(select(FormDefinition).order_by(FormDefinition.key)))


def newest_version(form: FormDefinition) -> FormDefinitionVersion | None:
    return db.session.scalar(select(FormDefinitionVersion).where(FormDefinitionVersion.form_id == form.id)
                             .order_by(FormDefinitionVersion.number.desc()).limit(1))


def _newest_by_key(key: str) -> FormDefinitionVersion | None:
    return db.session.scalar(
        select(FormDefinitionVersion).join(FormDefinition).where(FormDefinition.key == key)
        .order_by(FormDefinitionVersion.number.desc()).limit(1))


def pinned_version(form_key: str, process_version_id: int) -> FormDefinitionVersion | None:
    return db.session.scalar(
        select(FormDefinitionVersion).join(ProcessVersionForm,
                                           ProcessVersionForm.form_version_id == FormDefinitionVersion.id)
        .where(ProcessVersionForm.process_version_id == process_version_id,
               ProcessVersionForm.form_key == form_key))


def builder_version_for(form_key: str, process_version_id: int | None = None) -> FormDefinitionVersion | None:
    """The builder form version a task of ``process_version_id`` uses (pinned, else newest)."""
    if process_version_id is not None:
        pinned = pinned_version(form_key, process_version_id)
        if pinned is not None:
            return pinned
    return _newest_by_key(form_key)


def form_class_for(form_key: str | None, process_version_id: int | None = None) -> type[TaskForm]:
    """The form class of a form key (see the module docstring); KeyError if there is none."""
    key = form_key or ""
    if key in FORMS:
        return FORMS[key]
    version = builder_version_for(key, process_version_id) if key else None
    if version is None:
        raise KeyError(f"Unknown form key {key!r}")
    return build_form_class(version.definition)


def builder_registry() -> dict[str, type[TaskForm]]:
    """Every builder form with the class of its newest version."""
    newest = (select(FormDefinitionVersion.form_id, func.max(FormDefinitionVersion.number).label("n"))
              .group_by(FormDefinitionVersion.form_id).subquery())
    rows = db.session.scalars(select(FormDefinitionVersion).join(
        newest, (newest.c.form_id == FormDefinitionVersion.form_id) & (newest.c.n == FormDefinitionVersion.number)))
    return {row.definition["key"]: build_form_class(row.definition) for row in rows}


def registry() -> dict[str, type[TaskForm]]:
    """Code forms and builder forms (newest version): the form keys the modeler offers."""
    return {**builder_registry(), **FORMS}


def volunteer_visible_fields(process_key: str | None) -> frozenset[str]:
    """Fields of builder forms a volunteer may see in the case file of a process: those marked
    ``volunteer`` in a form version pinned to a version of the process."""
    if not process_key:
        return frozenset()
    known = g.setdefault("formbuilder_volunteer_fields", {}) if has_app_context() else {}  # lists call it per case
    if process_key in known:
        return known[process_key]
    rows = db.session.scalars(
        select(FormDefinitionVersion.definition)
        .join(ProcessVersionForm, ProcessVersionForm.form_version_id == FormDefinitionVersion.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessVersionForm.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .where(ProcessModel.key == process_key))
    fields: set[str] = set()
    for definition in rows:
        fields |= volunteer_fields(definition)
    known[process_key] = frozenset(fields)
    return known[process_key]


# --- saving --------------------------------------------------------------------------------


def check(defn: Any) -> list[dict[str, str]]:
    return check_definition(defn, reserved_keys=frozenset(FORMS) | frozenset(ACTION_FORMS))


@dataclass
class Saved:
    form: FormDefinition
    version: FormDefinitionVersion
    created: bool  # False: the content was unchanged, no new version


def save(defn: Any, user: User, comment: str = "", *, create: bool | None = None) -> Saved:
    """Check and store a definition: a new form (``create=True``), a new version of an existing
    one (``create=False``) or either (``None``). A new version only when the content changed.
    Raises DefinitionProblems (nothing stored) or FormExists / LookupError."""
    problems = check(defn)
    if problems:
        raise DefinitionProblems(problems)
    normal = normalize(defn)
    build_form_class(normal)  # a definition that passed the checks builds; fail here, not on a task page
    form = get_form(normal["key"])
    if form is not None and create is True:
        raise FormExists(normal["key"])
    if form is None and create is False:
        raise LookupError(normal["key"])
    digest = content_hash(normal)
    if form is None:
        form = FormDefinition(key=normal["key"], title=normal["title"]["de"], created_by=user, created_at=utcnow())
        db.session.add(form)
        db.session.flush()
        newest = None
    else:
        newest = newest_version(form)
        if newest is not None and newest.content_hash == digest:
            return Saved(form, newest, False)
    version = FormDefinitionVersion(form=form, number=(newest.number + 1) if newest else 1, definition=normal,
                                    content_hash=digest, created_by=user, created_at=utcnow(),
                                    comment=(comment or "").strip()[:1000])
    db.session.add(version)
    form.title = normal["title"]["de"][:300]
    db.session.flush()
    return Saved(form, version, True)


def pin_published_version(sender: Any, version: ProcessVersion, **_extra: Any) -> None:
    """Receiver of ``app.modeler.services.version_published``: pin, for every user task of the
    new process version that names a builder form, that form's newest version."""
    keys = {info.form_key for info in service.parsed_version(version).user_tasks.values()
            if info.form_key and info.form_key not in FORMS}
    for key in sorted(keys):
        newest = _newest_by_key(key)
        if newest is None:
            continue
        exists = db.session.scalar(select(ProcessVersionForm).where(
            ProcessVersionForm.process_version_id == version.id, ProcessVersionForm.form_key == key))
        if exists is None:
            db.session.add(ProcessVersionForm(process_version_id=version.id, form_key=key,
                                              form_version_id=newest.id))
    db.session.flush()


def pins_of(form: FormDefinition) -> dict[int, list[ProcessVersion]]:
    """Form version id -> the process versions pinned to it (for the version list)."""
    rows = db.session.execute(
        select(ProcessVersionForm.form_version_id, ProcessVersion)
        .join(ProcessVersion, ProcessVersion.id == ProcessVersionForm.process_version_id)
        .where(ProcessVersionForm.form_key == form.key).order_by(ProcessVersion.id))
    result: dict[int, list[ProcessVersion]] = {}
    for version_id, process_version in rows:
        result.setdefault(version_id, []).append(process_version)
    return result
