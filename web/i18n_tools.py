"""Keeping the English catalogue: import, extract, compile.

    python -m web.i18n_tools import web/messages/en/*.json   # merge {"中文": "English"} files into the .po
    python -m web.i18n_tools extract                         # rewrite messages.pot; list what lacks English
    python -m web.i18n_tools compile                         # build each .mo whose .po is newer (bootstrap)

The catalogue is web/translations/en/LC_MESSAGES/messages.po: msgid the Chinese text, msgstr the English,
sorted by msgid, no source locations (so that branches adding messages merge cleanly). Edit it by hand or
import JSON files into it. `import` keeps every existing entry, adds the new ones, refuses (and writes
nothing) when a file gives an existing id another English text (--overwrite takes the file's) or different
{placeholders}, and deletes nothing: remove the imported JSON files yourself (`git rm`); the app no longer
reads them, and tests/web/test_i18n.py fails while any is left in web/messages/en/.

The message ids are what pybabel's extractors find (babel.cfg: Python and the Jinja2 templates) with the
keywords in KEYWORDS: `_()`, `N_()` for an id kept in a constant and translated later, and the calls that
hand their first argument to `_()` later (bilingual() in the API, the error pages' exceptions). Equivalent
pybabel command: `pybabel extract -F babel.cfg -k bilingual -k PublicBadRequest -k PublicNotFound
--no-wrap -o web/translations/messages.pot web`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from web.i18n import DOMAIN, TRANSLATIONS, stale_catalogues

WEB = Path(__file__).resolve().parent
BABEL_CFG = WEB.parent / "babel.cfg"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
POT = TRANSLATIONS / f"{DOMAIN}.pot"
KEYWORDS = {**DEFAULT_KEYWORDS, "bilingual": None, "PublicBadRequest": None, "PublicNotFound": None}
POT_HEADER = ("# The message ids of lawflow's pages (the Chinese texts), extracted from web/ by\n"
              "# `python -m web.i18n_tools extract`; their English is in en/LC_MESSAGES/messages.po.\n#")
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def placeholders(text: str) -> list[str]:
    """The {name} fields of a message, sorted (a translation may put them in another order)."""
    return sorted(PLACEHOLDER.findall(text))


def extract_messages() -> dict[str, list[str]]:
    """Every message id in the code and templates -> the files using it (relative to the repository)."""
    with BABEL_CFG.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(BABEL_CFG))
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            WEB, method_map, options_map, keywords=KEYWORDS):
        if isinstance(message, str) and message:
            where = f"web/{filename}"
            if where not in found.setdefault(message, []):
                found[message].append(where)
    return found


def read_catalogue(path: Path = PO) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="en", domain=DOMAIN)


def _po_bytes(catalog: Catalog, **options: object) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=True, ignore_obsolete=True, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def write_catalogue(catalog: Catalog, path: Path = PO) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_po_bytes(catalog, no_location=True))


def english_of(catalog: Catalog) -> dict[str, str]:
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and isinstance(m.string, str)}


def import_json(paths: Iterable[Path], catalog: Catalog, overwrite: bool = False) -> tuple[int, list[str]]:
    """Add each file's {"中文": "English"} entries to the catalogue: (how many added or changed, problems)."""
    existing = english_of(catalog)
    changes: dict[str, str] = {}
    problems = []
    for path in paths:
        try:
            entries = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{path}: {error}")
            continue
        if not isinstance(entries, dict):
            problems.append(f"{path}: not a JSON object")
            continue
        for zh, en in entries.items():
            if not isinstance(en, str) or not en:
                problems.append(f"{path}: {zh!r}: no English text")
            elif placeholders(zh) != placeholders(en):
                problems.append(f"{path}: {zh!r}: placeholders {placeholders(zh)} but {placeholders(en)}")
            elif zh in changes and changes[zh] != en:
                problems.append(f"{path}: {zh!r}: {en!r} but another file says {changes[zh]!r}")
            elif existing.get(zh, en) != en and not overwrite:
                problems.append(f"{path}: {zh!r}: {en!r} but the catalogue says {existing[zh]!r} "
                                "(--overwrite to take the file's)")
            elif existing.get(zh) != en:
                changes[zh] = en
    if problems:
        return 0, problems
    for zh, en in changes.items():
        if zh in catalog:
            catalog[zh].string = en
        else:
            catalog.add(zh, en)
    return len(changes), []


def write_template(messages: dict[str, list[str]], path: Path = POT) -> bool:
    """Rewrite the .pot from the extracted messages; False when only its creation date would change."""
    template = Catalog(project="lawflow", domain=DOMAIN, fuzzy=False, copyright_holder="lawflow",
                       msgid_bugs_address="", header_comment=POT_HEADER)
    for message, files in messages.items():
        template.add(message, locations=[(f, None) for f in sorted(files)])
    new = _po_bytes(template, include_lineno=False)
    undated = re.compile(rb'^"POT-Creation-Date: .*\n', re.M)
    if path.exists() and undated.sub(b"", path.read_bytes()) == undated.sub(b"", new):
        return False
    path.write_bytes(new)
    return True


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Build the .mo of every .po that is newer than it (atomically: a running app never reads half a file)."""
    built = []
    for po in stale_catalogues(directory):
        with po.open("rb") as fh:
            catalog = read_po(fh, domain=DOMAIN)
        errors = [f"{po}: {m.id!r}: {e}" for m, errs in catalog.check() for e in errs]
        if errors:
            raise ValueError("\n".join(errors))
        mo = po.with_suffix(".mo")
        tmp = mo.with_name(f".{mo.name}.{os.getpid()}")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)
        built.append(mo)
    return built


def report(messages: dict[str, list[str]], catalog: Catalog) -> list[str]:
    """What lacks English (an error) and what the catalogue holds that the code no longer asks for (a note)."""
    english = english_of(catalog)
    missing = sorted(m for m in messages if not english.get(m))
    unused = sorted(set(english) - set(messages))
    lines = [f"no English text: {m!r} ({', '.join(messages[m])})" for m in missing]
    if unused:
        lines.append(f"note: {len(unused)} catalogue entries are not found in the code (used through a "
                     f"variable without N_()?, or no longer used): {unused[:10]}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.i18n_tools", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="merge JSON {中文: English} files into the .po")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--overwrite", action="store_true", help="a file's English replaces the catalogue's")
    commands.add_parser("extract", help="rewrite the .pot and list the message ids without English")
    commands.add_parser("compile", help="build each .mo whose .po is newer")
    args = parser.parse_args(argv)

    if args.command == "compile":
        for mo in compile_catalogues():
            print(f"compiled {mo}", file=sys.stderr)
        return 0
    catalog = read_catalogue()
    if args.command == "import":
        count, problems = import_json(args.files, catalog, overwrite=args.overwrite)
        if problems:
            print("nothing imported:", *problems, sep="\n  ", file=sys.stderr)
            return 1
        write_catalogue(catalog)
        print(f"{count} entries added or changed in {PO}; now `git rm` the imported files", file=sys.stderr)
    messages = extract_messages()
    if write_template(messages):
        print(f"rewrote {POT}", file=sys.stderr)
    lines = report(messages, catalog)
    for line in lines:
        print(line, file=sys.stderr)
    return 1 if any(not line.startswith("note:") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
