"""Where the checkpoint signing key is kept, as the verification page tells it (docs/operations.md, "Key custody").

A key file inside the instance folder lives on the database host, next to the data it is meant to make
tamper-evident: that is what `make run` does for the demo (`lawflow demo` creates it there), never what an
operator should run. The page reads only the configured path, never the key.
"""

from __future__ import annotations

from pathlib import Path


def key_in_instance(key_path: Path, instance: Path) -> bool:
    """True when the signing key file is configured inside the instance folder (the demo's arrangement)."""
    return key_path.resolve().is_relative_to(instance.resolve())
