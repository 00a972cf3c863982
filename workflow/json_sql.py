"""A search inside a list held in a JSON column, in SQL, on SQLite and PostgreSQL alike.

SQLAlchemy's JSON type reaches one value by its path (`Case.data[("entry", "party")].as_string()`), but not each
text of a list (several petitioners, the parties of a dispute): the two databases spell that differently —
SQLite's json_each(), PostgreSQL's json_array_elements_text() — so the expression is compiled per dialect here.
The stored JSON escapes non-ASCII characters (SQLAlchemy writes it with json.dumps), so a LIKE on the list's JSON
text would not find 陈某某; both functions give each element's decoded text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import ClauseElement


class ListItemLike(ColumnElement[bool]):
    """SQL: some text of the list at `path` in the JSON `column` is LIKE `pattern` (escaped with a backslash)."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, column: ClauseElement, path: tuple[str, ...], pattern: str) -> None:
        self.column = column
        self.path = path
        self.pattern = literal(pattern)


def list_item_like(column: Any, path: tuple[str, ...], pattern: str) -> ColumnElement[bool]:
    if not path or not all(part.isidentifier() for part in path):  # the definitions' names (IDENT), never input
        raise ValueError(f"not a JSON path of names: {path!r}")
    return ListItemLike(column, path, pattern)


@compiles(ListItemLike, "sqlite")
def _sqlite(element: ListItemLike, compiler: Any, **kw: Any) -> str:
    json_path = "$" + "".join(f'."{part}"' for part in element.path)
    return (f"EXISTS (SELECT 1 FROM json_each({compiler.process(element.column, **kw)}, '{json_path}') AS item "
            f"WHERE item.value LIKE {compiler.process(element.pattern, **kw)} ESCAPE '\\')")


@compiles(ListItemLike, "postgresql")
def _postgresql(element: ListItemLike, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.column, **kw) + "".join(f" -> '{part}'" for part in element.path)
    # json_array_elements_text() fails on a scalar: only an array is searched (a missing key is NULL: no rows)
    return (f"EXISTS (SELECT 1 FROM json_array_elements_text(CASE WHEN json_typeof({value}) = 'array' "
            f"THEN {value} END) AS item(value) WHERE item.value LIKE {compiler.process(element.pattern, **kw)} "
            f"ESCAPE '\\')")
