"""Procedure definitions: the law as data.

A definition file (`definitions/<procedure>.v<version>.yaml`) is validated whole with marshmallow and then
checked for meaning (states, reachability, guard names, deadlines). Any error is reported with the file,
the path inside it and the reason; nothing half-loads. The result is an immutable `Procedure`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from workflow import typed_dates
from workflow.guards import GUARDS
from workflow.payloads import FIELD_TYPES, FieldSpec, build_payload_schema
from workflow.records import FORMATS

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "definitions"
FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.ya?ml$")
IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
UNITS = ("calendar_days", "working_days")
# What the engine adds to a step's recorded payload (engine._record, Engine._store_attachment): a payload
# field of the same name would be overwritten in the case data.
ITEM_META = frozenset({"recorded_by", "recorded_on", "event_seq", "trigger", "no", "timeliness"})
ATTACHMENT_FIELDS = frozenset({"sha256", "size", "stage", "filename"})
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster, same result


class DefinitionError(ValueError):
    """A definition file is invalid. `problems` lists (path, reason) pairs; str() names the file too."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems
        super().__init__("\n".join(f"{file}: {path or '(top)'}: {reason}" for path, reason in problems))


# ---------------------------------------------------------------- immutable procedure objects


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class RecordSpec:
    """Where a transition's payload goes in the case data: set a key, append to a list, or update an item."""

    mode: str  # set | append | update
    key: str
    match: str | None = None  # for update: the payload field that names the list item's `no`


@dataclass(frozen=True)
class DeadlineSpec:
    name: str
    label: Label
    kind: str  # minimum: must pass before ends_on may fire; limit: the date by which ends_on is due
    unit: str
    basis: str
    starts_on: tuple[str, ...]
    ends_on: tuple[str, ...]
    cleared_on: tuple[str, ...] = ()
    n: int | None = None
    n_from: str | None = None  # payload field holding n (e.g. a comment period longer than the minimum)
    n_setting: str | None = None  # organisation setting holding n, where a local rule sets the length
    start_from: str | None = None  # payload date field the period counts from (default: the event's date)
    due_from: str | None = None  # payload date field that IS the due date (e.g. the requested review date)
    end_from: str | None = None  # payload date field a limit's end is judged by (default: the event's date)


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str | None  # None: stays in the source state (recording a step within a stage)
    label: Label
    roles: tuple[str, ...]
    basis: str
    payload: tuple[FieldSpec, ...] = ()
    guards: tuple[str, ...] = ()
    record: RecordSpec | None = None
    separation_from: tuple[str, ...] = ()  # separation of duties: who acted on the case in these roles may not
    new_round: bool = False  # the procedure is run again: earlier steps' records move to previous_rounds
    attachment: bool = False  # the step attaches an evidence file (全过程记录): its event is `record_attached`

    @cached_property
    def schema(self) -> Schema:
        return build_payload_schema(self.payload)


@dataclass(frozen=True)
class State:
    name: str
    label: Label
    terminal: bool = False


@dataclass(frozen=True)
class AudioVideoSpec:
    """Acts that may not complete without an audio-video record of them (全程音像记录)."""

    basis: str
    acts: tuple[str, ...]  # triggers named by the law for every organisation
    setting: str | None = None  # organisation setting listing further acts (the organisation's own list)

    def required(self, setting_value: Any) -> frozenset[str]:
        """The acts to record on audio-video: the definition's and those the setting's value lists."""
        listed = {v for v in setting_value if isinstance(v, str)} if isinstance(setting_value, list) else set()
        return frozenset(self.acts) | listed


@dataclass(frozen=True)
class AttachmentsSpec:
    """What a procedure's attached files are as a whole: their heading and basis, and the completeness rule."""

    label: Label  # e.g. 执法全过程记录, 决策过程记录和材料
    basis: str
    every_stage: bool = True  # each stage the case passed through must have a file (全过程记录); else a plain list


@dataclass(frozen=True)
class Procedure:
    id: str
    version: int
    label: Label
    legal_basis: tuple[Mapping[str, str], ...]
    roles: Mapping[str, Label]
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    deadlines: Mapping[str, DeadlineSpec]
    create: Transition  # who may open a case and what they must say (trigger "create", no source)
    audio_video: AudioVideoSpec | None = None
    attachments: AttachmentsSpec | None = None  # given whenever a step attaches files
    dates: typed_dates.DateRules = field(default_factory=typed_dates.DateRules)  # rules for typed dates
    source_file: str = field(default="", compare=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def transition(self, trigger: str, state: str) -> Transition | None:
        return self._by_trigger_source.get((trigger, state))

    def triggers_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    @cached_property
    def _by_trigger_source(self) -> dict[tuple[str, str], Transition]:
        return {(t.trigger, s): t for t in self.transitions for s in t.sources}

    @cached_property
    def triggers(self) -> set[str]:
        return {t.trigger for t in self.transitions}

    @cached_property
    def machine(self) -> Any:
        from workflow.machine import build_machine

        return build_machine(self)


# ---------------------------------------------------------------- file schema (marshmallow)


class LabelSchema(Schema):
    class Meta:
        unknown = RAISE

    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class ChoiceSchema(Schema):
    class Meta:
        unknown = RAISE

    value = fields.String(required=True, validate=IDENT)
    label = fields.Nested(LabelSchema, required=True)


class FieldSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    label = fields.Nested(LabelSchema, required=True)
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.Nested(ChoiceSchema))
    min_length = fields.Integer(validate=validate.Range(min=0))
    max_length = fields.Integer(validate=validate.Range(min=1))
    minimum = fields.Integer()
    maximum = fields.Integer()
    help = fields.String()
    future = fields.String(validate=validate.OneOf(["allowed"]))  # a planned date (workflow/typed_dates.py)

    @validates_schema
    def choices_only_for_choice(self, data: dict[str, Any], **_: Any) -> None:
        if data["type"] == "choice" and not data.get("choices"):
            raise ValidationError("a choice field needs a non-empty `choices` list", "choices")
        if data["type"] != "choice" and "choices" in data:
            raise ValidationError("`choices` is only allowed on a field of type choice", "choices")


class RecordSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    set = fields.String(validate=IDENT)
    append = fields.String(validate=IDENT)
    update = fields.String(validate=IDENT)
    match = fields.String(validate=IDENT)

    @validates_schema
    def exactly_one_mode(self, data: dict[str, Any], **_: Any) -> None:
        modes = [m for m in ("set", "append", "update") if m in data]
        if len(modes) != 1:
            raise ValidationError("give exactly one of set / append / update")
        if ("match" in data) != ("update" in data):
            raise ValidationError("`match` goes with `update` (the payload field naming the item's no)")


class CreateSchemaDef(Schema):
    """Opening a case: who may, what they must say, where it is recorded."""

    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    roles = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    basis = fields.String(required=True, validate=validate.Length(min=1))
    payload = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(FieldSchema), load_default=dict)
    guards = fields.List(fields.String(), load_default=list)
    record = fields.Nested(RecordSchemaDef)


class TransitionSchemaDef(CreateSchemaDef):
    """A step: everything an opening has, plus where it goes from and to."""

    trigger = fields.String(required=True, validate=IDENT)
    source = fields.Raw(required=True)  # a state name or a list of them
    dest = fields.String(required=True, allow_none=True)
    separation_from = fields.List(fields.String(validate=IDENT), load_default=list)
    new_round = fields.Boolean(load_default=False)
    attachment = fields.Boolean(load_default=False)


class AudioVideoSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    basis = fields.String(required=True, validate=validate.Length(min=1))
    acts = fields.List(fields.String(validate=IDENT), required=True)
    setting = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$", error="must be a setting key"))


class AttachmentsSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    every_stage = fields.Boolean(load_default=True)


class StateSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    terminal = fields.Boolean(load_default=False)


class DeadlineSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["minimum", "limit"]))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    n = fields.Integer(validate=validate.Range(min=1))
    n_from = fields.String(validate=IDENT)
    n_setting = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$", error="must be a setting key"))
    start_from = fields.String(validate=IDENT)
    due_from = fields.String(validate=IDENT)
    end_from = fields.String(validate=IDENT)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    starts_on = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    ends_on = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    cleared_on = fields.List(fields.String(validate=IDENT), load_default=list)

    @validates_schema
    def one_length(self, data: dict[str, Any], **_: Any) -> None:
        given = [k for k in ("n", "n_from", "n_setting", "due_from") if k in data]
        if len(given) != 1:
            raise ValidationError("give exactly one of n, n_from, n_setting or due_from")


class BasisSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1))
    articles = fields.String(required=True, validate=validate.Length(min=1))
    note = fields.String()


class ProcedureSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    procedure = fields.String(required=True, validate=IDENT)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    label = fields.Nested(LabelSchema, required=True)
    legal_basis = fields.List(fields.Nested(BasisSchema), required=True, validate=validate.Length(min=1))
    roles = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(LabelSchema), required=True)
    initial = fields.String(required=True, validate=IDENT)
    create = fields.Nested(CreateSchemaDef, required=True)
    states = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(StateSchemaDef), required=True)
    deadlines = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(DeadlineSchemaDef),
                            load_default=dict)
    transitions = fields.List(fields.Nested(TransitionSchemaDef), required=True, validate=validate.Length(min=1))
    audio_video = fields.Nested(AudioVideoSchemaDef)
    attachments = fields.Nested(AttachmentsSchemaDef)
    typed_dates = fields.Nested(typed_dates.TypedDatesSchemaDef)


# ---------------------------------------------------------------- loading


def load_file(path: str | Path) -> Procedure:
    path = Path(path)
    name = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise DefinitionError(name, [("", f"cannot read the file: {exc.strerror}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise DefinitionError(name, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse(raw, name)


def parse(raw: Any, name: str) -> Procedure:
    if not isinstance(raw, dict):
        raise DefinitionError(name, [("", "the file must hold a mapping (procedure, version, states, ...)")])
    try:
        data = ProcedureSchemaDef().load(raw)
    except ValidationError as exc:
        raise DefinitionError(name, list(_flatten(exc.messages))) from None
    problems = _check_meaning(data, name)
    if problems:
        raise DefinitionError(name, problems)
    return _build(data, name)


def _flatten(messages: Any, prefix: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            # marshmallow nests Dict value errors under "value"; the YAML path has no such level
            key = "" if key in ("_schema", "value") else str(key)
            yield from _flatten(value, f"{prefix}.{key}".strip(".") if key else prefix)
    elif isinstance(messages, list):
        for item in messages:
            yield from _flatten(item, prefix)
    else:
        yield prefix, str(messages)


def _sources(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _check_meaning(data: dict[str, Any], name: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    match = FILE_NAME.match(Path(name).name)
    if match and (match["id"] != data["procedure"] or int(match["version"]) != data["version"]):
        problems.append(("version", f"file name says {match['id']} v{match['version']} but the file says "
                                    f"{data['procedure']} v{data['version']}"))
    states, roles = data["states"], data["roles"]
    if data["initial"] not in states:
        problems.append(("initial", f"undefined state {data['initial']!r}"))

    def check_common(where: str, spec: dict[str, Any]) -> None:
        for i, role in enumerate(spec["roles"]):
            if role not in roles:
                problems.append((f"{where}.roles.{i}", f"undefined role {role!r}"))
        for i, guard in enumerate(spec["guards"]):
            if guard not in GUARDS:
                problems.append((f"{where}.guards.{i}", f"unknown guard {guard!r} (known: see workflow/guards.py)"))
        record = spec.get("record") or {}
        if "match" in record and record["match"] not in spec["payload"]:
            problems.append((f"{where}.record.match", f"{record['match']!r} is not a payload field"))

    check_common("create", data["create"])
    seen: dict[tuple[str, str], int] = {}
    payloads: dict[str, dict[str, Any]] = {}
    edges: dict[str, set[str]] = {s: set() for s in states}
    for i, t in enumerate(data["transitions"]):
        where = f"transitions.{i}"
        check_common(where, t)
        sources = _sources(t["source"])
        if not sources or not all(isinstance(s, str) for s in sources):
            problems.append((f"{where}.source", "must be a state name or a list of state names"))
            continue
        for s in sources:
            if s not in states:
                problems.append((f"{where}.source", f"undefined state {s!r}"))
            elif (t["trigger"], s) in seen:
                problems.append((f"{where}.trigger", f"duplicate trigger {t['trigger']!r} from state {s!r} "
                                                     f"(also transitions.{seen[(t['trigger'], s)]})"))
            else:
                seen[(t["trigger"], s)] = i
                edges[s].add(t["dest"] or s)
            if s in states and states[s]["terminal"]:
                problems.append((f"{where}.source", f"state {s!r} is terminal: nothing may leave it"))
        if t["dest"] is not None and t["dest"] not in states:
            problems.append((f"{where}.dest", f"undefined state {t['dest']!r}"))
        for j, role in enumerate(t["separation_from"]):
            if role not in roles:
                problems.append((f"{where}.separation_from.{j}", f"undefined role {role!r}"))
        payloads.setdefault(t["trigger"], {}).update(t["payload"])
    if data["initial"] in states:
        reached, todo = {data["initial"]}, deque([data["initial"]])
        while todo:
            for nxt in edges.get(todo.popleft(), ()):
                if nxt in states and nxt not in reached:
                    reached.add(nxt)
                    todo.append(nxt)
        for s in states:
            if s not in reached:
                problems.append((f"states.{s}", "unreachable from the initial state"))
    for s, spec in states.items():
        if not spec["terminal"] and not any(nxt != s for nxt in edges[s]):
            problems.append((f"states.{s}", "not terminal but no transition leaves it"))
    triggers = set(payloads)
    for i, t in enumerate(data["transitions"]):
        reserved = ITEM_META | (ATTACHMENT_FIELDS if t["attachment"] else set())
        for name in sorted(set(t["payload"]) & reserved):
            problems.append((f"transitions.{i}.payload.{name}",
                             f"{name!r} is written by the engine into the recorded item; name the field otherwise"))
    for i, act in enumerate((data.get("audio_video") or {}).get("acts", [])):
        if act not in triggers:
            problems.append((f"audio_video.acts.{i}", f"unknown trigger {act!r}"))
    for i, t in enumerate(data["transitions"]):
        if t["attachment"]:
            problems.extend((f"transitions.{i}.{path}", reason) for path, reason in _attachment_problems(t, triggers))
    if any(t["attachment"] for t in data["transitions"]) and not data.get("attachments"):
        problems.append(("attachments", "a procedure with a step that attaches files must say what its files are "
                                        "(attachments: label, basis)"))
    for d, spec in data["deadlines"].items():
        for key in ("starts_on", "ends_on", "cleared_on"):
            for j, trig in enumerate(spec[key]):
                if trig not in triggers and not (key == "starts_on" and trig == "create"):
                    problems.append((f"deadlines.{d}.{key}.{j}", f"unknown trigger {trig!r}"))
        for key, wanted in (("n_from", "integer"), ("start_from", "date"), ("due_from", "date")):
            if key in spec:
                for trig in spec["starts_on"]:
                    fields_ = data["create"]["payload"] if trig == "create" else payloads.get(trig, {})
                    f = fields_.get(spec[key])
                    if f is None or f["type"] != wanted or not f["required"]:
                        problems.append((f"deadlines.{d}.{key}", f"{spec[key]!r} must be a required {wanted} "
                                                                 f"payload field of {trig!r}"))
        if "end_from" in spec:
            for trig in spec["ends_on"]:
                f = payloads.get(trig, {}).get(spec["end_from"])
                if f is None or f["type"] != "date" or not f["required"]:
                    problems.append((f"deadlines.{d}.end_from", f"{spec['end_from']!r} must be a required date "
                                                                f"payload field of {trig!r}"))
    problems.extend(typed_dates.check_definition(data))
    return problems


def _attachment_problems(t: dict[str, Any], triggers: set[str]) -> list[tuple[str, str]]:
    """A step that attaches a file must say the file's format, in terms workflow.records knows; the record's
    kind (text / av), if the step asks for it, likewise (otherwise the engine takes it from the format); the act
    a record documents, if asked, is a step of the procedure."""
    problems = []
    for j, c in enumerate((t["payload"].get("act") or {}).get("choices", [])):
        if c["value"] not in triggers:
            problems.append((f"payload.act.choices.{j}", f"unknown trigger {c['value']!r}"))
    for name, known in (("kind", {"text", "av"}), ("format", set(FORMATS))):
        f = t["payload"].get(name)
        if f is None and name == "kind":
            continue
        if f is None or f["type"] != "choice" or not f["required"]:
            problems.append((f"payload.{name}",
                             f"a step with an attachment needs a required choice field {name!r}"
                             + (" (or none: the record then has its format's kind)" if name == "kind" else "")))
            continue
        for j, c in enumerate(f["choices"]):
            if c["value"] not in known:
                problems.append((f"payload.{name}.choices.{j}",
                                 f"{c['value']!r} is not one of {', '.join(sorted(known))}"))
    if t["dest"] is not None:
        problems.append(("dest", "attaching a record does not move the case: dest must be null"))
    return problems


def _label(d: dict[str, str]) -> Label:
    return Label(zh=d["zh"], en=d["en"])


def _fields(payload: dict[str, dict[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            name=n, type=f["type"], label=_label(f["label"]), required=f["required"],
            choices=tuple((c["value"], _label(c["label"])) for c in f.get("choices", [])),
            min_length=f.get("min_length"), max_length=f.get("max_length"),
            minimum=f.get("minimum"), maximum=f.get("maximum"), help=f.get("help", ""),
        )
        for n, f in payload.items()
    )


def _record(spec: dict[str, Any] | None) -> RecordSpec | None:
    if not spec:
        return None
    mode = next(m for m in ("set", "append", "update") if m in spec)
    return RecordSpec(mode=mode, key=spec[mode], match=spec.get("match"))


def _build(data: dict[str, Any], name: str) -> Procedure:
    create = data["create"]
    return Procedure(
        id=data["procedure"], version=data["version"], label=_label(data["label"]),
        legal_basis=tuple(dict(b) for b in data["legal_basis"]),
        roles={k: _label(v) for k, v in data["roles"].items()},
        initial=data["initial"],
        states={k: State(k, _label(v["label"]), v["terminal"]) for k, v in data["states"].items()},
        transitions=tuple(
            Transition(
                trigger=t["trigger"], sources=tuple(_sources(t["source"])), dest=t["dest"],
                label=_label(t["label"]), roles=tuple(t["roles"]), basis=t["basis"],
                payload=_fields(t["payload"]), guards=tuple(t["guards"]), record=_record(t.get("record")),
                separation_from=tuple(t["separation_from"]), new_round=t["new_round"],
                attachment=t["attachment"],
            )
            for t in data["transitions"]
        ),
        deadlines={
            k: DeadlineSpec(
                name=k, label=_label(v["label"]), kind=v["kind"], unit=v["unit"], basis=v["basis"],
                starts_on=tuple(v["starts_on"]), ends_on=tuple(v["ends_on"]), cleared_on=tuple(v["cleared_on"]),
                n=v.get("n"), n_from=v.get("n_from"), n_setting=v.get("n_setting"),
                start_from=v.get("start_from"), due_from=v.get("due_from"),
                end_from=v.get("end_from"),
            )
            for k, v in data["deadlines"].items()
        },
        create=Transition(
            trigger="create", sources=(), dest=data["initial"], label=_label(create["label"]),
            roles=tuple(create["roles"]), basis=create["basis"], payload=_fields(create["payload"]),
            guards=tuple(create["guards"]), record=_record(create.get("record")),
        ),
        audio_video=AudioVideoSpec(
            basis=data["audio_video"]["basis"], acts=tuple(data["audio_video"]["acts"]),
            setting=data["audio_video"].get("setting"),
        ) if data.get("audio_video") else None,
        attachments=AttachmentsSpec(
            label=_label(data["attachments"]["label"]), basis=data["attachments"]["basis"],
            every_stage=data["attachments"]["every_stage"],
        ) if data.get("attachments") else None,
        dates=typed_dates.build(data, _label),
        source_file=name,
    )


@dataclass(frozen=True)
class Registry:
    """Every procedure version found in a definitions folder. Running cases stay on their own version."""

    procedures: Mapping[tuple[str, int], Procedure]

    def get(self, procedure_id: str, version: int | None = None) -> Procedure:
        if version is None:
            versions = [v for (p, v) in self.procedures if p == procedure_id]
            if not versions:
                raise KeyError(procedure_id)
            version = max(versions)
        return self.procedures[(procedure_id, version)]

    def all(self) -> list[Procedure]:
        return [self.procedures[k] for k in sorted(self.procedures)]

    def latest(self) -> list[Procedure]:
        """The newest version of each procedure: the one new cases start under."""
        return list({p.id: p for p in self.all()}.values())


def load_registry(directory: str | Path = DEFINITIONS_DIR) -> Registry:
    """Load every `*.v<N>.yaml` in `directory`; any invalid file fails the whole load (nothing half-loads)."""
    errors: list[DefinitionError] = []
    found: dict[tuple[str, int], Procedure] = {}
    for path in sorted(Path(directory).glob("*.y*ml")):
        if not FILE_NAME.match(path.name):
            errors.append(DefinitionError(str(path), [("", "file name must be <procedure>.v<version>.yaml")]))
            continue
        try:
            proc = load_file(path)
        except DefinitionError as exc:
            errors.append(exc)
            continue
        found[(proc.id, proc.version)] = proc
    if errors:
        raise DefinitionErrors(errors)
    return Registry(found)


class DefinitionErrors(ValueError):
    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
