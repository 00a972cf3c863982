"""Time that acts (issue 11): timers in the definitions (spec.py), what is due when (schedule.py), the worker
that acts on it (worker.py) and the notices it leaves in people's inboxes (notifications.py).

Nothing is imported here: the definition loader imports spec.py, which must not pull in the engine.
"""
