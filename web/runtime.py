"""The lawflow Runtime the app was built with (config, database sessions, engine, registry, clock)."""

from __future__ import annotations

from flask import current_app

from workflow.runtime import Runtime

EXTENSION = "lawflow"


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]
