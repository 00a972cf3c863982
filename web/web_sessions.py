"""Web logins kept on the server (table web_session), so that logging out ends a session for good.

The session itself is Flask's signed cookie; what it cannot do alone is stop a copy of itself: a cookie taken
before the logout (from a shared computer, a proxy log, malware) would log in until the idle limit. So each
login gets a random token, kept in the cookie; the database keeps only its SHA-256 with the user's id. Every
request checks that the row is there (web/auth.py load_user); logging out, or idling past the limit, deletes
it. The same user's other sessions are other rows and go on; a new password or a deactivation still ends them
all at once (app_user.session_epoch).

`seen_at` is refreshed at most once a minute (a write per active user per minute, not per request), and rows
unused for longer than the idle limit are deleted when someone logs in, so abandoned sessions do not pile up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.db import writing
from workflow.models import WebSession

REFRESH = timedelta(minutes=1)  # how stale seen_at may get before a request writes it again


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def now() -> datetime:
    """Wall-clock time, like the idle check: a person's idleness, not the engine's (legal) clock."""
    return datetime.now(UTC)


def start(sessions: sessionmaker[Session], user_id: int, idle: timedelta) -> str:
    """A new server-side session for the user; returns the token the cookie keeps. Sessions of anyone unused
    for longer than the idle limit are deleted on the way (they are no logins any more)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    with writing(sessions) as s:
        s.execute(delete(WebSession).where(WebSession.seen_at < moment - idle))
        s.add(WebSession(id=_digest(token), user_id=user_id, created_at=moment, seen_at=moment))
    return token


def alive(sessions: sessionmaker[Session], token: object, user_id: int, idle: timedelta) -> bool:
    """Whether the cookie's token names a session of this user that has not been ended nor left unused past
    the idle limit (on the server too: a copy of the cookie cannot outlive it by keeping its own time);
    refreshes seen_at."""
    if not isinstance(token, str) or not token:
        return False
    key = _digest(token)
    moment = now()
    with sessions() as s:
        seen = s.scalar(select(WebSession.seen_at).where(WebSession.id == key, WebSession.user_id == user_id))
    if seen is None:
        return False
    if seen.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        seen = seen.replace(tzinfo=UTC)
    if moment - seen > idle + REFRESH:  # nobody used it for longer than the limit: ended
        end(sessions, token)
        return False
    if moment - seen >= REFRESH:
        with writing(sessions) as s:
            s.execute(update(WebSession).where(WebSession.id == key).values(seen_at=moment))
    return True


def end(sessions: sessionmaker[Session], token: object) -> None:
    """End the session the token names (logout, idle): a copy of its cookie is no login from now on."""
    if not isinstance(token, str) or not token:
        return
    with writing(sessions) as s:
        s.execute(delete(WebSession).where(WebSession.id == _digest(token)))
