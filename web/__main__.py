"""`python -m web`: run the development server on HOST:PORT (default 127.0.0.1:5000).

For production use a WSGI server, e.g. `gunicorn 'web:create_app()'`.
"""

from __future__ import annotations

import os

from web import create_app


def main() -> None:
    app = create_app()
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
            debug=os.environ.get("FLASK_DEBUG") == "1")


if __name__ == "__main__":
    main()
