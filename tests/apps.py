"""One web app per test process and configuration, bound to each test's own runtime.

Building the app costs about a quarter of a second (werkzeug compiles every route, flask-smorest writes the
OpenAPI document) and each new app compiles every Jinja template it renders again; with a new app per test
that was the largest part of the web and API tests' time (bench/profile_test_setup.py). The app keeps its
state in the database and reads the runtime from `app.extensions` on every request (web/runtime.py), so one
built app serves every test: before each test it is pointed at the test's runtime and given back exactly the
configuration and request counter a new app would have. A test that changes the app itself (adds a route)
asks for `own_app` instead: Flask refuses new routes on an app that has served a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from web import create_app, ops
from web.runtime import EXTENSION
from workflow.runtime import Runtime


class AppPool:
    def __init__(self) -> None:
        self._apps: dict[tuple[tuple[str, Any], ...], tuple[Flask, dict[str, Any]]] = {}

    @contextmanager
    def bound(self, runtime: Runtime, config: dict[str, Any]) -> Iterator[Flask]:
        key = tuple(sorted(config.items()))
        if key not in self._apps:
            app = create_app(runtime, config)
            self._apps[key] = (app, dict(app.config))
        app, built_with = self._apps[key]
        app.extensions[EXTENSION] = runtime
        app.extensions[ops.EXTENSION] = ops.RequestCounter()
        app.instance_path = str(Path(runtime.instance).resolve())
        try:
            yield app
        finally:  # a test that set a configuration value leaves the next one a new app's configuration
            app.config.clear()
            app.config.update(built_with)
