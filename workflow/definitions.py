"""Procedure definitions: the law as data.

A definition file (`definitions/<procedure>.v<version>.yaml`) is validated whole with marshmallow and then
checked for meaning (states, reachability, guard names, deadlines). Any error is reported with the file,
the path inside it and the reason; nothing half-loads. The result is an immutable `Procedure`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from workflow import addressee as addressed_to
from workflow import (
    case_links,
    figure_specs,
    need_to_know,
    options_from,
    register_spec,
    required_when,
    typed_dates,
)
from workflow import pages as page_meta
from workflow.definition_blocks import Block
from workflow.due_rules import DueRule
from workflow.labels import Label  # here too: every reader of a definition imports it from this module
from workflow.options_from import PrefillSchema
from workflow.payloads import DECIMAL_PLACES, FIELD_TYPES, FieldSpec, LabelSchema, build_payload_schema
from workflow.procedures import GUARDS, case_choices_of
from workflow.records import FORMATS
from workflow.timers import spec as timer_spec

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "definitions"
FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.ya?ml$")
IDENT = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")
UNITS = ("calendar_days", "working_days")
# What the engine adds to a step's recorded payload (workflow/engine/recording.py: record, store_attachment): a payload
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
    # organisation setting holding the unit (calendar_days | working_days), where a local rule chooses it too (the
    # normative filing period); `unit` is then only what the definition's pages show before a setting exists
    unit_setting: str | None = None
    timers: tuple[timer_spec.Timer, ...] = ()  # what the period's time brings: reminders, expiry, an end (timers/spec.py)
    # a family's due-date rule (workflow/due_rules.py): the last day follows from the case's recorded facts and is
    # computed again after every step while the period is open (paused: no day; moved: the new day)
    due_by: str | None = None
    due_rule: DueRule | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RollCallSpec:
    """Attendance taken against a body (条例第三十条: the meeting is recorded truthfully): every active member of
    the organisation holding one of `body`'s roles who is not listed in the payload field `present` is
    recorded as absent, by user name, in the field `absent`, which the engine adds to the step's payload."""

    body: tuple[str, ...]
    present: str
    absent: str
    absent_label: Label


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
    separation_from: tuple[str, ...] = ()  # derived from the conflicts block: who acted on the case in these roles may not
    new_round: bool = False  # the procedure is run again: earlier steps' records move to previous_rounds
    attachment: bool = False  # the step attaches an evidence file (全过程记录): its event is `record_attached`
    roll_call: RollCallSpec | None = None  # attendance of a body: the absent members are added to the payload
    system: bool = False  # taken by the organisation's system account when a period ends (workflow/timers/)
    acted_by: str | None = None  # "addressee": taken by the addressed organisation (workflow/addressee.py)

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
    # stage -> (the kinds of material the stage works on, their basis): the pages say which are still missing
    # (display only: nothing is refused for it)
    expects: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    # the kinds of material the public may open once the case is out for public comment, and their basis
    public: tuple[str, ...] = ()
    public_basis: str = ""


@dataclass(frozen=True)
class InPersonAct:
    """A step that records an act the case's officers performed in person, and the payload fields saying when
    and (where the step names them) who was there."""

    trigger: str
    date: str | None = None  # payload date field of the act's day; None: the day the step is recorded
    officers: str | None = None  # payload account-list field of the officers present; None: the acting officers


@dataclass(frozen=True)
class InPersonSpec:
    """Acts that only certified officers may perform: the rule (a guard) is checked on each act's own date."""

    basis: str
    rule: str  # the guard evaluated for every act below (e.g. acting_officers_certified)
    acts: Mapping[str, InPersonAct]


@dataclass(frozen=True)
class LinkedCase:
    """Another case this one refers to by number: `path` in this case's data holds it, `procedure` is its kind."""

    path: str
    procedure: str


@dataclass(frozen=True)
class ConflictSpec:
    """Separation of duties: who takes `steps` as `person` may not be anyone who took part in this case (or the
    linked one) in a role of `acted_as`, or who is named at one of `named_in` (e.g. the assigned officers)."""

    label: Label  # what the person is in these steps: 听证主持人, 法制审核人员 ...
    steps: tuple[str, ...]
    person: str  # "actor", or the payload account field naming the person (e.g. chair)
    acted_as: tuple[str, ...]
    named_in: tuple[str, ...] = ()  # dotted data paths (lists are walked) naming people who took part
    linked: LinkedCase | None = None
    basis: str = ""  # the article; the step's own basis where none is given


OPENED_AS = Label("登记", "Registered")  # a procedure whose definition names no word of its own


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
    opened_as: Label = OPENED_AS  # the office's word for opening a case (create: opened_as:), display only
    audio_video: AudioVideoSpec | None = None
    attachments: AttachmentsSpec | None = None  # given whenever a step attaches files
    dates: typed_dates.DateRules = field(default_factory=typed_dates.DateRules)  # rules for typed dates
    source_file: str = field(default="", compare=False)
    in_person: InPersonSpec | None = None  # acts performed in person by certified officers (定义 in_person:)
    conflicts: tuple[ConflictSpec, ...] = ()  # separation of duties (定义 conflicts:)
    pages: page_meta.Pages = field(default_factory=page_meta.Pages, compare=False)  # display metadata (定义 pages:)
    # The families' own blocks given in the file, as their builders made them (workflow/definition_blocks.py).
    blocks: Mapping[str, Any] = field(default_factory=dict)
    # who may see its cases and a party's personal data (定义 visibility:, workflow/need_to_know.py); read only
    visibility: need_to_know.Visibility | None = field(default=None, compare=False)
    # the countable facts a report states, computed from its cases (定义 figures:, workflow/figure_specs.py)
    figures: tuple[figure_specs.FigureSpec, ...] = field(default=(), compare=False)
    # a register (台账) of entries: its list, import and figures (定义 register:, workflow/register_spec.py); read only
    register: register_spec.Register | None = field(default=None, compare=False)
    # cases it names, and the cases a step opens, linked (定义 links: / opens:, workflow/case_links.py)
    links: tuple[case_links.CaseLink, ...] = field(default=(), compare=False)
    opens: tuple[case_links.Opens, ...] = field(default=(), compare=False)
    # the organisation below the case's that some steps are addressed to (定义 addressee:, workflow/addressee.py)
    addressee: addressed_to.Addressee | None = None

    def block(self, name: str) -> Any:
        """The built value of the family block `name` (e.g. "severity"), or None when the file does not give it."""
        return self.blocks.get(name)

    def conflicts_of(self, trigger: str) -> list[ConflictSpec]:
        return [c for c in self.conflicts if trigger in c.steps]

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
    minimum = fields.Raw()  # an integer; for a decimal field, a number with at most 2 places (yuan.fen)
    maximum = fields.Raw()
    max_items = fields.Integer(validate=validate.Range(min=1))  # string_list: payloads.DEFAULT_MAX_ITEMS
    help = fields.String()
    future = fields.String(validate=validate.OneOf(["allowed"]))  # a planned date (workflow/typed_dates.py)
    required_when = fields.Nested(required_when.WhenSchema)  # required for some values of a choice field
    options_from = fields.Nested(options_from.OptionsFromSchema)  # a person holding a role (workflow/options_from.py)
    prefill = fields.Nested(PrefillSchema)  # the signed-in person's name, if they hold a role

    @validates_schema
    def choices_only_for_choice(self, data: dict[str, Any], **_: Any) -> None:
        if data["type"] == "choice" and not data.get("choices"):
            raise ValidationError("a choice field needs a non-empty `choices` list", "choices")
        if data["type"] != "choice" and "choices" in data:
            raise ValidationError("`choices` is only allowed on a field of type choice", "choices")

    @validates_schema
    def bounds_fit_the_type(self, data: dict[str, Any], **_: Any) -> None:
        if "max_items" in data and data["type"] != "string_list":
            raise ValidationError("`max_items` is only allowed on a field of type string_list", "max_items")
        bounds = {}
        for key in ("minimum", "maximum"):
            if key not in data:
                continue
            if data["type"] not in ("integer", "decimal"):
                raise ValidationError(f"`{key}` is only allowed on an integer or decimal field", key)
            bounds[key] = _bound(data["type"], data[key], key)
        if len(bounds) == 2 and bounds["minimum"] > bounds["maximum"]:
            raise ValidationError("`minimum` is greater than `maximum`", "minimum")


def _bound(kind: str, value: Any, key: str) -> int | Decimal:
    """A field's declared minimum or maximum, as the payload compares it: an int, or a Decimal of yuan."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(f"`{key}` must be a number", key)
    if kind == "integer":
        if not isinstance(value, int):
            raise ValidationError(f"`{key}` of an integer field must be an integer", key)
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"`{key}` must be a number", key) from None
    if not number.is_finite() or number.normalize().as_tuple().exponent < -DECIMAL_PLACES:  # type: ignore[operator]
        raise ValidationError(f"`{key}` of a decimal field must be a number with at most {DECIMAL_PLACES} decimal "
                              "places", key)
    return number


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
    # The office's word for opening a case of this procedure (display only): a penalty case is 立案, a major
    # decision is 提出, a request for information is 收到. The pages say 提出时间, 未能提出 …; absent: 登记.
    opened_as = fields.Nested(LabelSchema)
    roles = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    basis = fields.String(required=True, validate=validate.Length(min=1))
    payload = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(FieldSchema), load_default=dict)
    guards = fields.List(fields.String(), load_default=list)
    record = fields.Nested(RecordSchemaDef)


class RollCallSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    body = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    present = fields.String(required=True, validate=IDENT)
    absent = fields.String(required=True, validate=IDENT)
    absent_label = fields.Nested(LabelSchema, required=True)


class TransitionSchemaDef(CreateSchemaDef):
    """A step: everything an opening has, plus where it goes from and to."""

    trigger = fields.String(required=True, validate=IDENT)
    source = fields.Raw(required=True)  # a state name or a list of them
    dest = fields.String(required=True, allow_none=True)
    new_round = fields.Boolean(load_default=False)
    attachment = fields.Boolean(load_default=False)
    roll_call = fields.Nested(RollCallSchemaDef)
    system = fields.Boolean(load_default=False)  # fired by the timer worker as the system account
    acted_by = addressed_to.ACTED_BY  # taken by the organisation the case is addressed to (workflow/addressee.py)


class AudioVideoSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    basis = fields.String(required=True, validate=validate.Length(min=1))
    acts = fields.List(fields.String(validate=IDENT), required=True)
    setting = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$", error="must be a setting key"))


class ExpectedMaterialsDef(Schema):
    class Meta:
        unknown = RAISE

    materials = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    basis = fields.String(required=True, validate=validate.Length(min=1))


class AttachmentsSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    every_stage = fields.Boolean(load_default=True)
    expects = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(ExpectedMaterialsDef),
                          load_default=dict)
    public = fields.Nested(ExpectedMaterialsDef)


class InPersonActSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    date = fields.String(validate=IDENT, allow_none=True, load_default=None)
    officers = fields.String(validate=IDENT, allow_none=True, load_default=None)


class InPersonSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    basis = fields.String(required=True, validate=validate.Length(min=1))
    rule = fields.String(required=True)
    acts = fields.Dict(keys=fields.String(validate=IDENT), values=fields.Nested(InPersonActSchemaDef),
                       required=True, validate=validate.Length(min=1))


DATA_PATH = validate.Regexp(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", error="must be a dotted data path (a.b.c)")


class LinkedSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    path = fields.String(required=True, validate=DATA_PATH)
    procedure = fields.String(required=True, validate=IDENT)


class ConflictSchemaDef(Schema):
    class Meta:
        unknown = RAISE

    label = fields.Nested(LabelSchema, required=True)
    steps = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    person = fields.String(load_default="actor", validate=IDENT)
    acted_as = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    named_in = fields.List(fields.String(validate=DATA_PATH), load_default=list)
    linked = fields.Nested(LinkedSchemaDef)
    basis = fields.String(validate=validate.Length(min=1))


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
    unit_setting = fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_.]*$", error="must be a setting key"))
    due_by = fields.String(validate=IDENT)
    basis = fields.String(required=True, validate=validate.Length(min=1))
    starts_on = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    ends_on = fields.List(fields.String(validate=IDENT), required=True, validate=validate.Length(min=1))
    cleared_on = fields.List(fields.String(validate=IDENT), load_default=list)
    timers = fields.List(fields.Nested(timer_spec.TimerSchema), load_default=list)

    @validates_schema
    def one_length(self, data: dict[str, Any], **_: Any) -> None:
        given = [k for k in ("n", "n_from", "n_setting", "due_from") if k in data]
        if "due_by" in data:
            if given:  # the rule computes the last day: a length or a payload's date would be a second answer
                raise ValidationError(f"due_by (a rule that computes the last day) conflicts with {', '.join(given)}: "
                                      "give one or the other")
            if data.get("kind") != "limit":
                raise ValidationError("due_by is for a limit (kind: limit): a minimum period ends the steps it guards")
            return
        if len(given) != 1:
            raise ValidationError("give exactly one of n, n_from, n_setting, due_from or due_by")


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
    in_person = fields.Nested(InPersonSchemaDef)
    conflicts = fields.List(fields.Nested(ConflictSchemaDef), load_default=list)
    typed_dates = fields.Nested(typed_dates.TypedDatesSchemaDef)
    pages = fields.Nested(page_meta.PagesSchemaDef)
    visibility = fields.Nested(need_to_know.VisibilityDef)
    figures = fields.List(fields.Nested(figure_specs.FigureDef))
    register = fields.Nested(register_spec.RegisterDef)
    links = fields.List(fields.Nested(case_links.LinkDef))
    opens = fields.List(fields.Nested(case_links.OpensDef))
    addressee = fields.Nested(addressed_to.AddresseeDef)


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
    shadowed = sorted(set(GUARDS.blocks) & set(ProcedureSchemaDef().fields))
    if shadowed:  # a family's block may not redefine what every definition means
        raise DefinitionError(name, [(key, f"the {GUARDS.block_family(key)!r} family gives a block {key!r}, a key "
                                           "the loader reads itself") for key in shadowed])
    try:
        data = _schema_with_blocks(tuple(GUARDS.blocks.items()))().load(raw)
    except ValidationError as exc:
        raise DefinitionError(name, list(error_paths(exc.messages))) from None
    problems = _check_meaning(data, name)
    if problems:
        raise DefinitionError(name, problems)
    return _build(data, name)


@functools.lru_cache(maxsize=8)
def _schema_with_blocks(blocks: tuple[tuple[str, Block], ...]) -> type[Schema]:
    """The file schema with the registered families' blocks as optional top-level keys: any other key is still
    an unknown field. Made again only when a family is registered or removed."""
    return type("ProcedureWithBlocksSchemaDef", (ProcedureSchemaDef,),
                {key: fields.Nested(block.schema) for key, block in blocks})


def error_paths(messages: Any, prefix: str = "") -> Iterable[tuple[str, str]]:
    """(the YAML path, why) of each of marshmallow's error messages: what a definition file's load error names.
    Every loader of a YAML definition (procedures, documents, organisation timers) names its problems this way."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            # marshmallow nests Dict value errors under "value"; the YAML path has no such level
            key = "" if key in ("_schema", "value") else str(key)
            key = PYTHON_NAMES.get(key, key)  # a field named after a Python keyword is written without its "_"
            yield from error_paths(value, f"{prefix}.{key}".strip(".") if key else prefix)
    elif isinstance(messages, list):
        for item in messages:
            yield from error_paths(item, prefix)
    else:
        yield prefix, str(messages)


PYTHON_NAMES = {"fields_": "fields", "in_": "in"}


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
        problems.extend(timer_spec.system_step_problems(where, spec, roles))
        for i, guard in enumerate(spec["guards"]):
            if guard not in GUARDS:
                problems.append((f"{where}.guards.{i}", f"unknown guard {guard!r} (known: the guards of workflow/procedures/<family>/)"))
            else:
                problems.extend(_needs_problems(f"{where}.guards.{i}", guard, spec, data))
        record = spec.get("record") or {}
        if "match" in record and record["match"] not in spec["payload"]:
            problems.append((f"{where}.record.match", f"{record['match']!r} is not a payload field"))
        problems.extend(required_when.definition_problems(where, spec["payload"]))
        problems.extend(options_from.definition_problems(where, spec["payload"], roles))
        problems.extend(options_from.prefill_problems(where, spec["payload"], roles))
        problems.extend(options_from.case_choice_problems(where, spec, lambda g: case_choices_of(g) is not None))
        problems.extend(options_from.line_problems(where, spec["payload"], data, GUARDS.blocks))

    check_common("create", data["create"])
    seen: dict[tuple[str, str], int] = {}
    payloads: dict[str, dict[str, Any]] = {}
    edges: dict[str, set[str]] = {s: set() for s in states}
    recorded_by: dict[str, tuple[int, Any]] = {}
    for i, t in enumerate(data["transitions"]):
        where = f"transitions.{i}"
        check_common(where, t)
        if t.get("roll_call"):
            problems.extend(_roll_call_problems(f"{where}.roll_call", t["roll_call"], t["payload"], roles))
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
        # Replay rebuilds a case's data from (trigger, payload) with the trigger's record spec
        # (workflow/replay.py; the export lists one per trigger): a trigger's transitions must share it.
        recorded = (t.get("record") or None, t["new_round"])
        if recorded_by.setdefault(t["trigger"], (i, recorded))[1] != recorded:
            problems.append((f"{where}.record", f"trigger {t['trigger']!r} records differently from "
                                                f"transitions.{recorded_by[t['trigger']][0]} (record and new_round "
                                                "must be the same for every transition of a trigger)"))
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
    problems.extend(_expected_material_problems(data))
    problems.extend(_in_person_problems(data, payloads))
    problems.extend(_conflict_problems(data, payloads))
    for d, spec in data["deadlines"].items():
        if "due_by" in spec and spec["due_by"] not in GUARDS.due_rules:
            known = ", ".join(sorted(GUARDS.due_rules)) or "none"
            problems.append((f"deadlines.{d}.due_by", f"unknown due-date rule {spec['due_by']!r} (no family registers "
                                                      f"it; known: {known})"))
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
        steps_by_trigger: dict[str, list[dict[str, Any]]] = {}
        for t in data["transitions"]:
            steps_by_trigger.setdefault(t["trigger"], []).append(t)
        problems.extend(timer_spec.problems(d, spec, roles, steps_by_trigger,
                                            addressed=bool(data.get("addressee"))))
    choices_of: dict[str, set[str]] = {}
    for t in data["transitions"]:
        for fname, f in t["payload"].items():
            if f["type"] == "choice":
                choices_of.setdefault(fname, set()).update(c["value"] for c in f["choices"])
    for key, block in GUARDS.blocks.items():
        if data.get(key) is not None:
            problems.extend(block.check(data, choices_of))
    problems.extend(typed_dates.check_definition(data))
    problems.extend(page_meta.check_definition(data))
    problems.extend(need_to_know.check_definition(data))
    problems.extend(options_from.record_problems(data))  # choices from the case's own recorded list
    problems.extend(figure_specs.check_definition(data))
    problems.extend(register_spec.check_definition(data))
    problems.extend(case_links.check_definition(data))
    problems.extend(addressed_to.check_definition(data))
    return problems


STEP_KEYS = frozenset(TransitionSchemaDef().fields)  # what a step may give (a guard's needs are looked for there)


def _needs_problems(where: str, guard: str, step: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    """What the guard says it reads (`Guard.needs`) and the step or the file does not give: a key of a step's
    schema is looked for on the step, any other name as a top-level block."""
    problems: list[tuple[str, str]] = []
    for need in GUARDS[guard].needs:
        if need in STEP_KEYS:
            if step.get(need) is None:
                problems.append((where, f"the guard {guard!r} reads the step's {need!r}, which this step does not give"))
        elif data.get(need) is None:
            problems.append((where, f"the guard {guard!r} reads the {need!r} block, which this file does not give"))
    return problems


def _expected_material_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`attachments.expects`: each stage one of the states, each material a choice of the attaching step's
    `material` field (workflow/completeness.py MATERIAL_FIELD)."""
    expects = (data.get("attachments") or {}).get("expects") or {}
    kinds = {c["value"] for t in data["transitions"] if t["attachment"]
             for c in (t["payload"].get("material") or {}).get("choices", [])}
    problems = []
    for state, spec in expects.items():
        if state not in data["states"]:
            problems.append((f"attachments.expects.{state}", f"unknown state {state!r}"))
        for i, material in enumerate(spec["materials"]):
            if material not in kinds:
                problems.append((f"attachments.expects.{state}.materials.{i}",
                                 f"{material!r} is not a kind of material the attaching step offers (its 'material' "
                                 "field's choices)"))
    for i, material in enumerate(((data.get("attachments") or {}).get("public") or {}).get("materials", [])):
        if material not in kinds:
            problems.append((f"attachments.public.materials.{i}",
                             f"{material!r} is not a kind of material the attaching step offers"))
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


def _record_fields(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Record key -> the payload fields stored under it (every step that records there), for data paths."""
    found: dict[str, dict[str, Any]] = {}
    for spec in [data["create"], *data["transitions"]]:
        record = spec.get("record") or {}
        key = next((record[m] for m in ("set", "append", "update") if m in record), None)
        if key is not None:
            found.setdefault(key, {}).update(spec["payload"])
    return found


def path_problem(path: str, records: dict[str, dict[str, Any]], types: tuple[str, ...]) -> str | None:
    """Why `path` (record key . payload field) names no field of one of `types` in a case's data, or None."""
    key, _, name = path.partition(".")
    if key not in records:
        return f"{key!r} is not where any step records (record: set/append/update)"
    if not name or "." in name:
        return "a data path is a record key and one payload field: <record>.<field>"
    f = records[key].get(name)
    if f is None or f["type"] not in types:
        return f"{name!r} is not a payload field ({' or '.join(types)}) recorded under {key!r}"
    return None


ACCOUNT_TYPES = ("string", "string_list")


def _in_person_problems(data: dict[str, Any], payloads: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """in_person: the rule is a known guard; each act is a step of this procedure, its date a required date field
    and its officers an account list field of that step."""
    spec = data.get("in_person")
    if not spec:
        return []
    problems: list[tuple[str, str]] = []
    if spec["rule"] not in GUARDS:
        problems.append(("in_person.rule", f"unknown guard {spec['rule']!r} (known: the guards of workflow/procedures/<family>/)"))
    for trigger, act in spec["acts"].items():
        where = f"in_person.acts.{trigger}"
        if trigger not in payloads:
            problems.append((where, f"unknown trigger {trigger!r}"))
            continue
        fields_ = payloads[trigger]
        if act["date"] is not None:
            f = fields_.get(act["date"])
            if f is None or f["type"] != "date" or not f["required"]:
                problems.append((f"{where}.date", f"{act['date']!r} must be a required date payload field of "
                                                  f"{trigger!r}"))
        if act["officers"] is not None:
            f = fields_.get(act["officers"])
            if f is None or f["type"] != "string_list":
                problems.append((f"{where}.officers", f"{act['officers']!r} must be an account-list payload field "
                                                      f"of {trigger!r}"))
    return problems


def _conflict_problems(data: dict[str, Any], payloads: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """conflicts: steps of this procedure, a person that is the actor or an account field of every step, roles
    of this procedure, data paths that name accounts (those of a linked case are checked by load_registry)."""
    problems: list[tuple[str, str]] = []
    records = _record_fields(data)
    for i, c in enumerate(data["conflicts"]):
        where = f"conflicts.{i}"
        for j, step in enumerate(c["steps"]):
            if step not in payloads:
                problems.append((f"{where}.steps.{j}", f"unknown trigger {step!r}"))
            elif c["person"] != "actor":
                f = payloads[step].get(c["person"])
                if f is None or f["type"] != "string" or not f["required"]:
                    problems.append((f"{where}.person", f"{c['person']!r} must be 'actor' or a required account "
                                                        f"(string) payload field of {step!r}"))
        for j, role in enumerate(c["acted_as"]):
            if role not in data["roles"]:
                problems.append((f"{where}.acted_as.{j}", f"undefined role {role!r}"))
        linked = c.get("linked")
        if linked:
            problem = path_problem(linked["path"], records, ("string",))
            if problem:
                problems.append((f"{where}.linked.path", problem))
        else:
            for j, path in enumerate(c["named_in"]):
                problem = path_problem(path, records, ACCOUNT_TYPES)
                if problem:
                    problems.append((f"{where}.named_in.{j}", problem))
    return problems


def _separation_from(data: dict[str, Any], trigger: str) -> tuple[str, ...]:
    """The roles whose holders on this case may not take `trigger` themselves (shown on the procedure pages)."""
    roles = [r for c in data["conflicts"] if c["person"] == "actor" and trigger in c["steps"] for r in c["acted_as"]]
    return tuple(dict.fromkeys(roles))


def _linked_problems(found: Mapping[tuple[str, int], Procedure]) -> list[DefinitionError]:
    """A conflict that looks into a linked case: that procedure exists and its data paths name accounts."""
    latest = {p.id: p for _, p in sorted(found.items())}
    errors = []
    for proc in found.values():
        problems: list[tuple[str, str]] = []
        for i, c in enumerate(proc.conflicts):
            if c.linked is None:
                continue
            other = latest.get(c.linked.procedure)
            if other is None:
                problems.append((f"conflicts.{i}.linked.procedure", f"no procedure {c.linked.procedure!r} is loaded"))
                continue
            records = _record_fields_of(other)
            for j, path in enumerate(c.named_in):
                problem = path_problem(path, records, ACCOUNT_TYPES)
                if problem:
                    problems.append((f"conflicts.{i}.named_in.{j}", f"in {other.ref}: {problem}"))
        if problems:
            errors.append(DefinitionError(proc.source_file, problems))
    for file, where, reason in case_links.check_registry(latest):
        errors.append(DefinitionError(file, [(where, reason)]))
    return errors


def _record_fields_of(proc: Procedure) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for t in [proc.create, *proc.transitions]:
        if t.record is not None:
            found.setdefault(t.record.key, {}).update({f.name: {"type": f.type} for f in t.payload})
    return found


def _label(d: dict[str, str]) -> Label:
    return Label(zh=d["zh"], en=d["en"])


def _fields(payload: dict[str, dict[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            name=n, type=f["type"], label=_label(f["label"]), required=f["required"],
            choices=tuple((c["value"], _label(c["label"])) for c in f.get("choices", [])),
            min_length=f.get("min_length"), max_length=f.get("max_length"),
            minimum=_bound(f["type"], f["minimum"], "minimum") if "minimum" in f else None,
            maximum=_bound(f["type"], f["maximum"], "maximum") if "maximum" in f else None,
            help=f.get("help", ""), max_items=f.get("max_items"),
            required_when=required_when.from_definition(f.get("required_when")),
            options_from=options_from.from_definition(f.get("options_from")),
            prefill_role=(f.get("prefill") or {}).get("self_with_role"),
        )
        for n, f in payload.items()
    )


def _roll_call_problems(where: str, spec: dict[str, Any], payload: dict[str, Any],
                        roles: Any) -> list[tuple[str, str]]:
    problems = [(f"{where}.body.{j}", f"undefined role {r!r}") for j, r in enumerate(spec["body"]) if r not in roles]
    present = payload.get(spec["present"])
    if present is None or present["type"] != "string_list":
        problems.append((f"{where}.present", f"{spec['present']!r} is not a string_list payload field"))
    if spec["absent"] in payload or spec["absent"] in ITEM_META:
        problems.append((f"{where}.absent", f"{spec['absent']!r} is filled by the engine: it may not be a payload "
                                            "field nor a recorded item's meta key"))
    return problems


def _roll_call(spec: dict[str, Any] | None) -> RollCallSpec | None:
    if not spec:
        return None
    return RollCallSpec(body=tuple(spec["body"]), present=spec["present"], absent=spec["absent"],
                        absent_label=_label(spec["absent_label"]))


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
                separation_from=_separation_from(data, t["trigger"]), new_round=t["new_round"],
                attachment=t["attachment"], roll_call=_roll_call(t.get("roll_call")), system=t["system"],
                acted_by=t.get("acted_by"),
            )
            for t in data["transitions"]
        ),
        deadlines={
            k: DeadlineSpec(
                name=k, label=_label(v["label"]), kind=v["kind"], unit=v["unit"], basis=v["basis"],
                starts_on=tuple(v["starts_on"]), ends_on=tuple(v["ends_on"]), cleared_on=tuple(v["cleared_on"]),
                n=v.get("n"), n_from=v.get("n_from"), n_setting=v.get("n_setting"),
                start_from=v.get("start_from"), due_from=v.get("due_from"),
                end_from=v.get("end_from"), unit_setting=v.get("unit_setting"), timers=timer_spec.build(v["timers"]),
                due_by=v.get("due_by"), due_rule=GUARDS.due_rules.get(v["due_by"]) if v.get("due_by") else None,
            )
            for k, v in data["deadlines"].items()
        },
        opened_as=_label(create["opened_as"]) if create.get("opened_as") else OPENED_AS,
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
            expects={state: (tuple(spec["materials"]), spec["basis"])
                     for state, spec in data["attachments"]["expects"].items()},
            public=tuple((data["attachments"].get("public") or {}).get("materials", ())),
            public_basis=(data["attachments"].get("public") or {}).get("basis", ""),
        ) if data.get("attachments") else None,
        blocks={key: block.build(data[key]) for key, block in GUARDS.blocks.items() if data.get(key) is not None},
        dates=typed_dates.build(data, _label),
        source_file=name,
        in_person=InPersonSpec(
            basis=data["in_person"]["basis"], rule=data["in_person"]["rule"],
            acts={k: InPersonAct(k, v["date"], v["officers"]) for k, v in data["in_person"]["acts"].items()},
        ) if data.get("in_person") else None,
        conflicts=tuple(
            ConflictSpec(
                label=_label(c["label"]), steps=tuple(c["steps"]), person=c["person"], acted_as=tuple(c["acted_as"]),
                named_in=tuple(c["named_in"]), basis=c.get("basis", ""),
                linked=LinkedCase(c["linked"]["path"], c["linked"]["procedure"]) if c.get("linked") else None,
            )
            for c in data["conflicts"]
        ),
        pages=page_meta.build(data.get("pages")),
        visibility=need_to_know.build(data.get("visibility")),
        figures=figure_specs.build(data.get("figures")),
        register=register_spec.build(data.get("register")),
        links=case_links.build_links(data.get("links")),
        opens=case_links.build_opens(data.get("opens")),
        addressee=addressed_to.build(data.get("addressee")),
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
    """Load every `*.v<N>.yaml` in `directory`; any invalid file fails the whole load (nothing half-loads).

    A load is kept while the folder's files (names and contents, by hash) and the registered guards and
    blocks stay the same: every Runtime, app and command reads the same definitions, and parsing and checking
    them takes ~0.2 s. A changed, added or removed file is loaded again. A loaded definition is frozen
    dataclasses that nothing writes into, so sharing it is safe."""
    paths = sorted(Path(directory).glob("*.y*ml"))
    folder = str(Path(directory).resolve())
    key = (GUARDS.generation, tuple((p.name, file_digest(p)) for p in paths))
    kept = _LOADED.get(folder)
    if kept is not None and kept[0] == key:
        return kept[1]
    registry = _load_registry(paths)
    _LOADED.pop(folder, None)
    while len(_LOADED) >= _FOLDERS_KEPT:  # the oldest folder goes (tests load many temporary ones)
        del _LOADED[next(iter(_LOADED))]
    _LOADED[folder] = (key, registry)
    return registry


_FOLDERS_KEPT = 8
_LOADED: dict[str, tuple[tuple[Any, ...], Registry]] = {}


def file_digest(path: Path) -> str:
    """The file's content hash (reading is cheap; parsing is what costs): an edit within the file system's
    timestamp granularity is still seen. An unreadable file is loaded again, to report it."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return f"unreadable-{time.monotonic_ns()}"


def _load_registry(paths: list[Path]) -> Registry:
    errors: list[DefinitionError] = []
    found: dict[tuple[str, int], Procedure] = {}
    for path in paths:
        if not FILE_NAME.match(path.name):
            errors.append(DefinitionError(str(path), [("", "file name must be <procedure>.v<version>.yaml")]))
            continue
        try:
            proc = load_file(path)
        except DefinitionError as exc:
            errors.append(exc)
            continue
        found[(proc.id, proc.version)] = proc
    errors.extend(_linked_problems(found))
    if errors:
        raise DefinitionErrors(errors)
    return Registry(found)


class DefinitionErrors(ValueError):
    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
