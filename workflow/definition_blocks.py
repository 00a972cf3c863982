"""A definition block a family contributes: a top-level key of its definitions the shared loader does not know.

A family's package exposes `BLOCKS: Mapping[str, Block]` beside `NAME` and `GUARDS` (workflow/procedures/__init__.py
registers them, refusing a name two families give). The loader (workflow/definitions.py) validates the key's value
with the block's schema, runs its check with the rest of the definition, and keeps what the builder made in
`Procedure.blocks`; the family's guards and read models read it back with `procedure.block(name)`. So a family's
own block never needs an edit of the shared loader (docs/adding-a-procedure.md, "A block of your own").

This module imports no family and nothing of the loader: both import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema

# (path inside the file, reason): the loader adds the file name, as for its own problems.
Problem = tuple[str, str]
# The whole validated definition and, for each choice field name, the union of its choices over the steps.
Check = Callable[[Mapping[str, Any], Mapping[str, set[str]]], list[Problem]]


def no_problems(data: Mapping[str, Any], choices_of: Mapping[str, set[str]]) -> list[Problem]:
    """The check of a block its schema says everything about."""
    return []


@dataclass(frozen=True)
class Block:
    """One top-level block of a definition: how it is written (`schema`, a marshmallow schema class, its errors
    reported under the block's key), what the definition's objects hold of it (`build`, from the validated
    value), and what it must agree with elsewhere in the definition (`check`, run only when the block is given;
    its paths start with the block's key)."""

    schema: type[Schema]
    build: Callable[[Any], Any]
    check: Check = no_problems
