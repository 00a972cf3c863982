"""docs/embedding.md runs as written: its Python blocks, in order, in one namespace (each asserts what the
text says). Once, on SQLite: the example builds its own runtime."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "embedding.md"


def test_the_embedding_guide_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 4, "the guide lost its example"
    namespace: dict[str, object] = {"__name__": "embedding_example"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102 - our own document
    assert "（《重大行政决策程序暂行条例》第十五条）" in capsys.readouterr().out
    namespace["rt"].db.dispose()  # type: ignore[attr-defined]
