"""Who may open a page: one decorator, `require_roles`, and the same test for the navigation.

A page opens to the holders of the roles it names (system roles such as the administrator's, which no
definition declares) and of the procedure roles the loaded definitions give it in their display metadata
(`pages.<page>.roles`, workflow/pages.py): web/ names no role of a procedure. Anyone else gets 403.
Anonymous visitors never get here: the app sends them to the login page first (web/auth.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from web.runtime import runtime
from workflow.pages import page_roles

F = TypeVar("F", bound=Callable[..., Any])


def roles_of(page: str) -> frozenset[str]:
    """The procedure roles the loaded definitions' `pages.<page>` serve."""
    return page_roles(runtime().registry.all(), page)


def allowed(*roles: str, page: str | None = None) -> frozenset[str]:
    return frozenset(roles) | (roles_of(page) if page else frozenset())


def may_open(*roles: str, page: str | None = None) -> bool:
    """Whether the signed-in user holds one of the roles (for the navigation); False for a visitor."""
    return bool(current_user.is_authenticated and current_user.has_any_role(*allowed(*roles, page=page)))


def check_roles(*roles: str, page: str | None = None) -> None:
    """403 unless the signed-in user holds one of `roles` or of the roles the definitions give `page`."""
    if not current_user.has_any_role(*allowed(*roles, page=page)):
        abort(403)


def require_roles(*roles: str, page: str | None = None) -> Callable[[F], F]:
    """Open the view to the holders of `roles` and of the roles the definitions give `page`; 403 otherwise."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            check_roles(*roles, page=page)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
