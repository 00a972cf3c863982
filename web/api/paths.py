"""Where the API lives. Imported by the app-wide hooks (login, CSRF, error pages) to leave /api/ to the API."""

from __future__ import annotations

from flask import has_request_context, request

ROOT = "/api"
PREFIX = "/api/v1"


def is_api_path(path: str) -> bool:
    return path == ROOT or path.startswith(ROOT + "/")


def is_api_request() -> bool:
    return has_request_context() and is_api_path(request.path)
