"""Document types as data: `definitions/documents/<procedure>.yaml`, one file per procedure.

One file per procedure, not per document: every document in it is checked against that procedure's steps and
payloads (in every loaded version that has the step), and the documents a step issues are read in one place.
A file names the procedure and lists its documents; each names its label, layout (`wenshu`: the enforcement
model layout; `gongwen`: GB/T 9704-2012), the steps that issue it, the setting that holds its 代字, the field
giving its date, the case and payload fields its template takes, the contents the law requires (each with
its article, optionally only when another field has given values) and its template (Jinja2, beside the file
under templates/, with a version that goes into the issued record).

Validated on load like the procedure definitions: an unknown step, an unknown payload or case field, a
template that reads a name it is not given -> DefinitionError naming file, path and reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateSyntaxError,
    meta,
    select_autoescape,
)
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow import wording
from workflow.definitions import (
    DEFINITIONS_DIR,
    SAFE_LOADER,
    DefinitionError,
    Procedure,
    Registry,
    error_paths,
    file_digest,
)
from workflow.labels import Label
from workflow.payloads import LabelSchema
from workflow.required_when import WhenSchema

DOCUMENTS_DIR = DEFINITIONS_DIR / "documents"
LAYOUTS = ("wenshu", "gongwen")
SOURCES = ("payload", "case", "org", "person", "setting", "computed")
# person.<payload field>: the name of the account it names; setting.<key>: the organisation's setting (the
# annual report's 主送机关, report.report_to); computed.<name>: a value the procedure's family computes from the
# records when the step is checked (workflow/procedures: DOCUMENT_DATA), kept with the issued document
ORG_FIELDS = ("name_zh", "name_en")
# What every template is given besides its fields (workflow/documents/render.py).
BUILTINS = frozenset({"doc", "org", "number", "date_text", "verify_code", "verify_url"})
# A document's `date:` when its step types no date (a 审批表 is dated the day its step is entered): the engine's date
RECORDED_ON = "recorded_on"


@dataclass(frozen=True)
class Content:
    """A content the law requires the document to have, the field that carries it and the article."""

    field: str
    label: Label
    article: str
    when_field: str | None = None  # required only when this field's value is one of `when_in`
    when_in: tuple[str, ...] = ()
    must_be: Any = None  # the value it must have (a seal: true), None: any value that is not blank


@dataclass(frozen=True)
class DocumentType:
    procedure: str
    id: str
    version: int
    label: Label
    layout: str
    issued_by: tuple[str, ...]
    basis: str
    code_setting: str
    number_field: str | None  # the step's payload field the allocated number is written into
    date: str  # source of the document's date (成文日期)
    template_file: str
    template_version: int
    fields: Mapping[str, str]  # template name -> source (payload.x, case.a.b, org.name_zh)
    step_flags: Mapping[str, tuple[str, ...]]
    free_text: tuple[str, ...]
    contents: tuple[Content, ...]
    source_file: str = ""
    templates_dir: Path = field(default=DOCUMENTS_DIR / "templates", compare=False)
    # "always": the contents refuse the step whether or not lawflow issues the document (they are what the step
    # itself must establish); "when_issued": only when the organisation has set the 代字 and lawflow makes it (a
    # paper form kept outside lawflow holds them otherwise: the 送达回证)
    check_contents: str = "always"

    @property
    def key(self) -> str:
        return f"{self.procedure}/{self.id}"

    @property
    def template_ref(self) -> str:
        return f"{self.template_file}@{self.template_version}"

    @cached_property
    def template_text(self) -> str:
        return (self.templates_dir / self.template_file).read_text(encoding="utf-8")


@dataclass(frozen=True)
class DocumentRegistry:
    """Every document type of a definitions folder, by the procedure and step that issue it."""

    types: tuple[DocumentType, ...] = ()

    def issued_by(self, procedure: str, trigger: str) -> list[DocumentType]:
        return [d for d in self.types if d.procedure == procedure and trigger in d.issued_by]

    def get(self, key: str) -> DocumentType | None:
        return next((d for d in self.types if d.key == key), None)


# ---------------------------------------------------------------- schema


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Content(_Strict):
    field = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)
    article = fields.String(required=True, validate=validate.Length(min=1))
    when = fields.Nested(WhenSchema)  # the shape of a payload field's required_when:
    must_be = fields.Raw()


class _Number(_Strict):
    code_setting = fields.String(required=True, validate=validate.Length(min=1))
    field = fields.String()


class _Template(_Strict):
    file = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]+\.html$"))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class _Document(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    label = fields.Nested(LabelSchema, required=True)
    layout = fields.String(required=True, validate=validate.OneOf(LAYOUTS))
    issued_by = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    basis = fields.String(required=True, validate=validate.Length(min=1))
    number = fields.Nested(_Number, required=True)
    date = fields.String(required=True)
    template = fields.Nested(_Template, required=True)
    fields_ = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]*$")),
                          values=fields.String(), required=True, data_key="fields")
    step_flags = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), load_default=dict)
    free_text = fields.List(fields.String(), load_default=list)
    contents = fields.List(fields.Nested(_Content), required=True, validate=validate.Length(min=1))
    check_contents = fields.String(load_default="always", validate=validate.OneOf(("always", "when_issued")))


class _File(_Strict):
    procedure = fields.String(required=True)
    documents = fields.List(fields.Nested(_Document), required=True, validate=validate.Length(min=1))


# ---------------------------------------------------------------- loading


def load_documents(registry: Registry, directory: str | Path = DOCUMENTS_DIR) -> DocumentRegistry:
    """Every `<procedure>.yaml` of `directory`, checked against the procedures of `registry`; a file for a
    procedure the registry does not hold is skipped (a test's folder with one family). Raises
    DefinitionErrors (from workflow.definitions) with every problem found.

    Kept, like the registry (workflow.definitions.load_registry), while the registry is the same loaded
    object and the folder's files and templates are the same by hash: every Runtime reads them, and checking
    the templates costs ~0.1 s. Document types are frozen, so sharing them is safe."""
    folder = Path(directory)
    files = sorted(folder.glob("*.y*ml")) + sorted(p for p in (folder / "templates").rglob("*") if p.is_file())
    key = tuple((str(p), file_digest(p)) for p in files)
    where = str(folder.resolve())
    kept = _LOADED.get(where)
    if kept is not None and kept[0] is registry and kept[1] == key:
        return kept[2]
    documents = _load_documents(registry, folder)
    _LOADED.pop(where, None)
    while len(_LOADED) >= _FOLDERS_KEPT:  # the oldest folder goes (tests load many temporary ones)
        del _LOADED[next(iter(_LOADED))]
    _LOADED[where] = (registry, key, documents)
    return documents


_FOLDERS_KEPT = 8
_LOADED: dict[str, tuple[Registry, tuple[tuple[str, str], ...], DocumentRegistry]] = {}


def _load_documents(registry: Registry, folder: Path) -> DocumentRegistry:
    from workflow.definitions import DefinitionErrors

    types: list[DocumentType] = []
    errors: list[DefinitionError] = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            types.extend(load_file(path, registry))
        except DefinitionError as exc:
            errors.append(exc)
    if errors:
        raise DefinitionErrors(errors)
    return DocumentRegistry(tuple(types))


def load_file(path: Path, registry: Registry) -> list[DocumentType]:
    name = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(name, [("", f"cannot read: {exc}")]) from None
    try:
        data = _File().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        raise DefinitionError(name, sorted(error_paths(exc.messages))) from None
    versions = [p for p in registry.all() if p.id == data["procedure"]]
    if not versions:
        if registry.procedures and data["procedure"] not in _known_anywhere(path):
            raise DefinitionError(name, [("procedure", f"no procedure {data['procedure']!r} is defined")])
        return []
    templates = path.parent / "templates"
    problems: list[tuple[str, str]] = []
    built: list[DocumentType] = []
    seen: set[str] = set()
    for i, doc in enumerate(data["documents"]):
        where = f"documents.{i}"
        if doc["id"] in seen:
            problems.append((f"{where}.id", f"a second document {doc['id']!r}"))
        seen.add(doc["id"])
        problems.extend(_problems(where, doc, versions, templates))
        built.append(_build(data["procedure"], doc, name, templates))
    if problems:
        raise DefinitionError(name, problems)
    return built


def _known_anywhere(path: Path) -> set[str]:
    """The procedures whose definition files sit beside documents/ (a registry built from another folder
    does not make a file of this folder wrong)."""
    return {p.name.split(".")[0] for p in path.parent.parent.glob("*.v*.y*ml")}


def _build(procedure: str, doc: dict[str, Any], name: str, templates: Path) -> DocumentType:
    return DocumentType(
        procedure=procedure, id=doc["id"], version=doc["version"], label=_label(doc["label"]),
        layout=doc["layout"], issued_by=tuple(doc["issued_by"]), basis=doc["basis"],
        code_setting=doc["number"]["code_setting"], number_field=doc["number"].get("field"), date=doc["date"],
        template_file=doc["template"]["file"], template_version=doc["template"]["version"],
        fields=dict(doc["fields_"]), step_flags={k: tuple(v) for k, v in doc["step_flags"].items()},
        free_text=tuple(doc["free_text"]),
        contents=tuple(Content(
            field=c["field"], label=_label(c["label"]), article=c["article"],
            when_field=c["when"]["field"] if c.get("when") else None,
            when_in=tuple(c["when"]["in_"]) if c.get("when") else (), must_be=c.get("must_be"),
        ) for c in doc["contents"]),
        source_file=name, templates_dir=templates, check_contents=doc["check_contents"],
    )


def _problems(where: str, doc: dict[str, Any], versions: list[Procedure], templates: Path) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    steps = [(p, t) for p in versions for t in p.transitions if t.trigger in doc["issued_by"]]
    for j, trigger in enumerate(doc["issued_by"]):
        if not any(t.trigger == trigger for _, t in steps):
            problems.append((f"{where}.issued_by.{j}", f"{trigger!r} is not a step of {versions[0].id}"))
    records = {t.record.key for p in versions for t in (p.create, *p.transitions) if t.record is not None}

    def source_problem(path: str, source: str) -> None:
        kind, _, rest = source.partition(".")
        if kind not in SOURCES or not rest:
            problems.append((path, f"{source!r}: a source is payload.<field>, case.<record>.<field>, "
                                   f"person.<payload field>, setting.<key>, computed.<name> or "
                                   f"org.<{'|'.join(ORG_FIELDS)}>"))
        elif kind in ("payload", "person"):
            for proc, t in steps:
                if rest not in {f.name for f in t.payload}:
                    problems.append((path, f"{rest!r} is not a payload field of {t.trigger} "
                                           f"({proc.ref})"))
        elif kind == "case" and rest.split(".")[0] not in records:
            problems.append((path, f"{rest.split('.')[0]!r} is recorded by no step of {versions[0].id}"))
        elif kind == "org" and rest not in ORG_FIELDS:
            problems.append((path, f"{rest!r} is not an organisation field ({', '.join(ORG_FIELDS)})"))
        elif kind == "setting" and rest not in _setting_keys():
            problems.append((path, f"{rest!r} is not an organisation setting (workflow/settings.py)"))

    for key, source in doc["fields_"].items():
        source_problem(f"{where}.fields.{key}", source)
        if key in BUILTINS:
            problems.append((f"{where}.fields.{key}", f"{key!r} is given to every template: choose another name"))
    if doc["date"] != RECORDED_ON:
        source_problem(f"{where}.date", doc["date"])
    number_field = doc["number"].get("field")
    if number_field:
        for proc, t in steps:
            spec = next((f for f in t.payload if f.name == number_field), None)
            if spec is None:
                problems.append((f"{where}.number.field", f"{number_field!r} is not a payload field of "
                                                          f"{t.trigger} ({proc.ref})"))
            elif spec.required:
                problems.append((f"{where}.number.field", f"{number_field!r} of {t.trigger} ({proc.ref}) is "
                                                          "required: the register fills it, so it must not be"))
    given = set(doc["fields_"])
    for flag, flagged in doc["step_flags"].items():
        for j, trigger in enumerate(flagged):
            if trigger not in doc["issued_by"]:
                problems.append((f"{where}.step_flags.{flag}.{j}", f"{trigger!r} does not issue this document"))
        if flag in given or flag in BUILTINS:
            problems.append((f"{where}.step_flags.{flag}", f"{flag!r} is also a field"))
    for j, name in enumerate(doc["free_text"]):
        if name not in given:
            problems.append((f"{where}.free_text.{j}", f"{name!r} is not one of the document's fields"))
    for j, content in enumerate(doc["contents"]):
        for key, name in (("field", content["field"]), ("when.field", (content.get("when") or {}).get("field"))):
            if name is not None and name not in given:
                problems.append((f"{where}.contents.{j}.{key}", f"{name!r} is not one of the document's fields"))
    problems.extend(_template_problems(where, doc, templates, given | set(doc["step_flags"]) | BUILTINS))
    return problems


def _template_problems(where: str, doc: dict[str, Any], templates: Path, given: set[str]) -> list[tuple[str, str]]:
    path = f"{where}.template.file"
    env = environment(templates)
    try:
        source = (templates / doc["template"]["file"]).read_text(encoding="utf-8")
    except OSError:
        return [(path, f"no template {doc['template']['file']!r} in {templates}")]
    try:
        used = meta.find_undeclared_variables(env.parse(source))
    except TemplateSyntaxError as exc:
        return [(path, f"template line {exc.lineno}: {exc.message}")]
    return [(path, f"the template reads {name!r}, which the document does not provide")
            for name in sorted(used - given)]


def _setting_keys() -> frozenset[str]:
    from workflow.settings import (
        BY_KEY,  # the catalogue reads the families' laws: imported when a file names one
    )

    return frozenset(BY_KEY)


def environment(templates: Path) -> Environment:
    """The Jinja2 environment of document templates: autoescaped HTML, and a name the document does not
    give is an error, never an empty string in an issued document. The office's filters (workflow/wording.py)
    as on the pages, in Chinese: |date 2026年12月7日, |amount 20,000元, |capital 贰万元整."""
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters.update(date=wording.day, amount=wording.amount, capital=wording.capital)
    return env


def _label(d: Mapping[str, str]) -> Label:
    return Label(d["zh"], d["en"])


