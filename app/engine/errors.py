"""The three ways an engine change can fail, shared by every module of the engine and mapped to
HTTP answers at the edge (EngineError → error page / 422-ish JSON, ConflictError → 409,
ForbiddenError → 403). Kept apart so that raising one never needs the runtime."""

from __future__ import annotations


class EngineError(Exception):
    """The engine could not run the step; nothing was saved."""


class ConflictError(Exception):
    """Someone else changed the task or case first (HTTP 409)."""


class ForbiddenError(Exception):
    """The user may see the object but not do this (HTTP 403)."""
