"""System administration (系统管理), for the administrators (role `admin`) of their own organisation only.

  /admin/                    overview and the latest administrative changes
  /admin/users               users: the list, a new user, one user (roles, deactivate or reactivate,
                             password reset, certificates); the portal account is shown read-only
  /admin/settings            the settings catalogue with each current value, its source, who set it and when;
                             /admin/settings/<key> changes one, always with the document that sets it
  /admin/calendar            holiday years covered; add a year from the State Council notice
  /admin/definitions         the loaded procedures and their versions, with the file each came from
  /admin/tokens              API tokens: list, issue (the token is shown once), revoke
  /admin/outbox/<id>/retry   send a dead letter (an undelivered e-mail of a notice) again

Every change goes through workflow/administration.py, which records it in the organisation's administration
journal (ADM-<org>, in the audit trail) in the same transaction. A refused change re-renders its form with
the input kept and a message next to each field (422); nothing is written. Everyone else gets 403.
"""

from web.admin import calendar, definitions, outbox, overview, settings, tokens, users
from web.admin.common import bp

__all__ = ["bp", "calendar", "definitions", "outbox", "overview", "settings", "tokens", "users"]
