"""A random sample anyone can repeat: the same seed and candidates give the same items.

A review draws the files it scores at random (案卷评查); the seed and the candidate list are recorded with the
sample, and the family's guard draws again from them to check it (workflow/procedures/enforcement_supervision/).
The page that draws for the supervisor (web/forms.py, `options_from: {cases_of: ..., drawn: ...}`) uses this
same function, and a fresh seed from `new_seed` (the operating system's randomness, never a guessable one).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence

ALGORITHM = "random.Random(seed).sample(sorted(candidates), size)"  # Python 3 standard library, seed version 2


def draw(seed: str, candidates: Sequence[str], size: int) -> list[str]:
    """The random sample (ALGORITHM): the same seed and candidates give the same items, sorted."""
    pool = sorted(set(candidates))
    return sorted(random.Random(seed).sample(pool, max(0, min(size, len(pool)))))


def new_seed() -> str:
    """A seed no one chose: 16 hexadecimal digits from the operating system's randomness (secrets)."""
    return secrets.token_hex(8)
