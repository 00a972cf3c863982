"""A text in Chinese and English, as the definitions, settings and pages carry it.

Its own module so that the modules workflow/definitions.py builds on (typed_dates, payloads) can make one
without importing the loader back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh
