"""What one person may read of an organisation's cases: the one place the pages (web/) and the API ask.

A `Reader` is built from the loaded definitions and the person's roles. It answers, from each procedure's
`visibility:` (workflow/need_to_know.py; 个人信息保护法第六条、第三十四条):
* whether they may see a case at all (`sees`): a case they may not see is "not found" everywhere, exactly like
  another organisation's, so that no page and no status tells that it exists;
* the SQL that keeps such cases out of lists, counts and searches (`seen_clause`, `text_clause`: a search in titles
  only where the title is shown to them, so a count never answers "is there a case about 陈某某?");
* the case's data, title and events' payloads with the party's personal data masked where they see the case but
  not the party (`data`, `title`, `payload`): copies, never the stored values (which the audit trail hashes).

A procedure whose definition gives no `visibility:` block keeps the older rule: every person of the organisation
sees its cases, and it declares no personal data. A case whose version is not loaded is shown to nobody.

Organisations (issue 14, workflow/org_tree.py): a Reader made for a person (`for_user`) knows their organisation
and, where their roles supervise some procedure (`visibility.supervision:`), the organisations below it. They read
their own organisation's cases as `cases:` says, and a descendant's cases only of the procedures whose
`supervision:` lists one of their roles; never a sibling's or a parent's. A Reader made without an organisation
(`of`) leaves the organisation to its caller, as before.

A case addressed to an organisation (a definition's `addressee:`, workflow/addressee.py: the district's supervision
case for one town) is read in the addressed organisation too, by the roles its `cases:` lists, as its own would be;
by no other organisation below (a town never reads a sibling's supervision case).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from workflow import org_tree
from workflow.definitions import Procedure, Registry
from workflow.json_sql import list_item_like
from workflow.models import Case
from workflow.need_to_know import mask, masked_here

TITLE = "title"  # the create step's field that is also the case's title (Case.title)


@dataclass(frozen=True)
class Reader:
    registry: Registry
    roles: frozenset[str]
    org_id: str | None = None  # None: the caller checks the organisation
    below: frozenset[str] = frozenset()  # the organisations below org_id this person supervises

    @classmethod
    def of(cls, registry: Registry, roles: Iterable[str], org_id: str | None = None,
           below: Iterable[str] = ()) -> Reader:
        return cls(registry, frozenset(roles), org_id, frozenset(below))

    @classmethod
    def for_user(cls, session: Session, registry: Registry, roles: Iterable[str], org_id: str) -> Reader:
        """What a person of `org_id` with `roles` reads: their organisation's cases, and where a role of theirs
        supervises some procedure, the organisations below it (one query for the tree, only then)."""
        reader = cls.of(registry, roles, org_id)
        if reader.supervising:
            reader = cls.of(registry, roles, org_id, org_tree.descendants(session, org_id))
        return reader

    # ---------------------------------------------------------------- organisations

    @property
    def supervising(self) -> bool:
        """Whether one of the roles reads some procedure's cases in the organisations below (`supervision:`)."""
        return any(self.supervises(p) for p in self.registry.all())

    def supervises(self, procedure: Procedure | None) -> bool:
        return procedure is not None and procedure.visibility is not None \
            and procedure.visibility.supervises(self.roles)

    def orgs(self) -> list[str]:
        """The organisations whose cases this person may read (their own first)."""
        return ([self.org_id] if self.org_id else []) + sorted(self.below)

    def sees_in(self, procedure: Procedure | None, org_id: str) -> bool:
        """Whether a case of `procedure` in organisation `org_id` is readable to this person."""
        if self.org_id is None or org_id == self.org_id:
            return self.sees(procedure)
        return org_id in self.below and self.supervises(procedure)

    def acts_in(self, org_id: str) -> bool:
        """Whether this person may take steps in a case of `org_id` (acting stays local; the engine decides the
        rest): the pages show no step form or action button on a case they only read."""
        return self.org_id is None or org_id == self.org_id

    # ---------------------------------------------------------------- one case

    def procedure(self, procedure_id: str, version: int) -> Procedure | None:
        try:
            return self.registry.get(procedure_id, version)
        except KeyError:
            return None

    def sees(self, procedure: Procedure | None) -> bool:
        if procedure is None:
            return False
        return procedure.visibility is None or procedure.visibility.sees_case(self.roles)

    def sees_case(self, case: Case) -> bool:
        procedure = self.procedure(case.procedure, case.procedure_version)
        if self.org_id is not None and case.addressee_org_id == self.org_id:
            return self.sees(procedure)
        return self.sees_in(procedure, case.org_id)

    def addressed(self, case: Case) -> bool:
        """Whether the case is addressed to this person's organisation by another (they act in some of its steps,
        the engine decides which): the pages name the other organisation and still offer their steps."""
        return self.org_id is not None and case.org_id != self.org_id and case.addressee_org_id == self.org_id

    def sees_personal(self, procedure: Procedure | None) -> bool:
        """Whether the party's personal data are shown unmasked (True where the procedure declares none)."""
        if procedure is None:
            return False
        return procedure.visibility is None or procedure.visibility.sees_personal(self.roles)

    def _hidden(self, procedure: Procedure | None) -> Mapping[str, Mapping[str, str]]:
        """record key -> field -> mask, of what this reader may not see ({} when they see everything)."""
        if procedure is None or procedure.visibility is None or self.sees_personal(procedure):
            return {}
        return procedure.visibility.personal

    def files_hidden(self, procedure: Procedure | None) -> bool:
        """Whether the case's attached files show personal data this reader may not see (they cannot be masked)."""
        if procedure is None:
            return True
        return bool(self._hidden(procedure)) and procedure.visibility is not None \
            and procedure.visibility.personal_files

    def title_hidden(self, procedure: Procedure | None) -> bool:
        key = procedure.create.record.key if procedure is not None and procedure.create.record else None
        return key is not None and TITLE in self._hidden(procedure).get(key, {})

    def title(self, procedure: Procedure | None, title: str) -> str:
        """The case's title as this reader sees it (the create step's title, where that is personal data)."""
        if procedure is None or not self.title_hidden(procedure):
            return title
        assert procedure.create.record is not None
        return str(mask(title, self._hidden(procedure)[procedure.create.record.key][TITLE]))

    def _when(self, procedure: Procedure | None) -> Mapping[str, Mapping[str, tuple[str, frozenset[str]]]]:
        """record key -> field -> the `when:` that masks it only for some kinds of party."""
        return procedure.visibility.when if procedure is not None and procedure.visibility is not None else {}

    def field(self, procedure: Procedure | None, key: str, name: str, value: Any,
              item: Mapping[str, Any] | None = None) -> Any:
        """One recorded value (`key`.`name` of the case's data) as this reader sees it; `item`: the record it is
        part of, where a `when:` asks which kind of party it names (without it, masked)."""
        how = self._hidden(procedure).get(key, {}).get(name)
        if how is None or not masked_here(item, self._when(procedure).get(key, {}).get(name)):
            return value
        return mask(value, how)

    def data(self, procedure: Procedure | None, data: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the case's data with the personal data masked, earlier rounds and superseded entries too."""
        hidden = self._hidden(procedure)
        if not hidden:
            return dict(data)
        when = self._when(procedure)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key == "previous_rounds" and isinstance(value, list):
                out[key] = [self.data(procedure, r) if isinstance(r, Mapping) else r for r in value]
            elif key == "superseded" and isinstance(value, Mapping):
                out[key] = {k: _masked(v, hidden.get(k, {}), when.get(k, {})) for k, v in value.items()}
            else:
                out[key] = _masked(value, hidden.get(key, {}), when.get(key, {}))
        return out

    def payload(self, procedure: Procedure | None, trigger: str | None, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A step's payload (an audit event's, refused or not) with the fields it records as personal data masked."""
        hidden = self._hidden(procedure)
        if not hidden or procedure is None or not trigger:
            return dict(payload)
        step = procedure.create if trigger == "create" else next(
            (t for t in procedure.transitions if t.trigger == trigger), None)
        if step is None or step.record is None:
            return dict(payload)
        return _masked(payload, hidden.get(step.record.key, {}), self._when(procedure).get(step.record.key, {}))

    def document_hidden(self, procedure: Procedure | None, sources: Iterable[str], issued_by: Iterable[str]) -> bool:
        """Whether an issued document shows personal data this reader may not see: one of its fields' `sources`
        (workflow/documents/definitions.py: case.<key>.<field>, payload.<field> of a step in `issued_by`) is a
        personal datum. Its bytes are the document as issued and cannot be masked, so it is not shown at all."""
        hidden = self._hidden(procedure)
        if not hidden or procedure is None:
            return False
        keys = {t.record.key for t in procedure.transitions if t.trigger in set(issued_by) and t.record}
        for source in sources:
            part = source.split(".")
            if part[0] == "case" and len(part) == 3 and part[2] in hidden.get(part[1], {}):
                return True
            if part[0] == "payload" and len(part) == 2 and any(part[1] in hidden.get(k, {}) for k in keys):
                return True
        return False

    # ---------------------------------------------------------------- lists and searches

    def _versions(self, wanted: Any) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for p in self.registry.all():
            if wanted(p):
                out.setdefault(p.id, []).append(p.version)
        return out

    def seen_clause(self) -> ColumnElement[bool] | None:
        """SQL: the case is of a procedure version this reader may see (None: they see every loaded one, and the
        list keeps reading its indexes alone)."""
        seen = self._versions(self.sees)
        return None if seen == self._versions(lambda p: True) else self._of_versions(seen)

    def scope_clause(self, org: str | None = None) -> ColumnElement[bool]:
        """SQL: the case is one this person may read, by organisation and procedure (needs `org_id`); `org`: only
        that organisation's (one of `orgs()`, else nothing)."""
        assert self.org_id is not None
        own: ColumnElement[bool] = Case.org_id == self.org_id
        seen = self.seen_clause()
        if seen is not None:
            own = and_(own, seen)
        below = sorted(self.below) if org is None else [o for o in self.below if o == org]
        if org is not None and org != self.org_id:
            own = false()
        elif self._addresses():  # cases addressed to this organisation by the one above (workflow/addressee.py)
            addressed: ColumnElement[bool] = Case.addressee_org_id == self.org_id
            own = or_(own, addressed if seen is None else and_(addressed, seen))
        if not below:
            return own
        supervised = self._of_versions(self._versions(self.supervises))
        return or_(own, and_(Case.org_id.in_(below), supervised))

    def _addresses(self) -> bool:
        """Whether some loaded procedure is addressed to an organisation (else the lists keep their plain plans)."""
        return any(p.addressee is not None for p in self.registry.all())

    def text_clause(self, pattern: str) -> ColumnElement[bool]:
        """SQL: a LIKE `pattern` (escaped with a backslash) in the case number, or in the title where this reader
        sees the title: a search for a party's name finds nothing the reader could not have read."""
        titled = self._versions(lambda p: self.sees(p) and not self.title_hidden(p))
        in_titles = Case.title.like(pattern, escape="\\")
        if titled != self._versions(lambda p: True):
            in_titles = and_(self._of_versions(titled), in_titles)
        return or_(Case.id.ilike(pattern, escape="\\"), in_titles)

    def searches_parties(self) -> bool:
        """Whether some procedure's parties are searchable by this reader (`party_clause` would look somewhere)."""
        return any(self.sees(p) and self.sees_personal(p) and party_names(p) for p in self.registry.all())

    def party_clause(self, pattern: str) -> ColumnElement[bool]:
        """SQL: a LIKE `pattern` (escaped with a backslash) in a party's name, searched only in the procedures whose
        party this reader may see (`visibility.personal_data`, fields masked as `name`): a search never finds a
        case by a name the reader could not have read. A list of names (several petitioners) is searched name by
        name (workflow/json_sql.py)."""
        parts = [and_(Case.procedure == p.id, Case.procedure_version == p.version,
                      list_item_like(Case.data, (key, name), pattern) if listed
                      else Case.data[(key, name)].as_string().like(pattern, escape="\\"))
                 for p in self.registry.all() if self.sees(p) and self.sees_personal(p)
                 for key, name, listed in party_names(p)]
        return or_(false(), *parts)

    def _of_versions(self, versions: Mapping[str, list[int]]) -> ColumnElement[bool]:
        """SQL: of these procedure versions (a procedure whose every loaded version is wanted: by its id alone)."""
        every = self._versions(lambda p: True)
        whole = sorted(pid for pid, vs in versions.items() if sorted(vs) == sorted(every.get(pid, [])))
        parts = [Case.procedure.in_(whole)] if whole else []
        parts += [and_(Case.procedure == pid, Case.procedure_version.in_(sorted(vs)))
                  for pid, vs in sorted(versions.items()) if pid not in whole]
        return or_(false(), *parts)


def _masked(value: Any, fields: Mapping[str, str],
            when: Mapping[str, tuple[str, frozenset[str]]] | None = None) -> Any:
    """A recorded item (or a list of them) with `fields` masked (those with a `when:` only for its kinds of party)."""
    if not fields:
        return value
    if isinstance(value, list):
        return [_masked(v, fields, when) for v in value]
    if isinstance(value, Mapping):
        rules = when or {}
        return {k: (mask(v, fields[k]) if k in fields and masked_here(value, rules.get(k)) else v)
                for k, v in value.items()}
    return value


def party_names(procedure: Procedure) -> list[tuple[str, str, bool]]:
    """The (record key, field, whether a list of names) of a procedure's party names that a search can read:
    declared personal data masked as a name, recorded by `set` (never appended to a list of records) from a
    string, text or string-list field."""
    if procedure.visibility is None:
        return []
    steps = [procedure.create, *procedure.transitions]
    out = []
    for key, names in sorted(procedure.visibility.personal.items()):
        writers = [t for t in steps if t.record is not None and t.record.key == key]
        if not writers or any(t.record is not None and t.record.mode != "set" for t in writers):
            continue
        for name, how in sorted(names.items()):
            types = {f.type for t in writers for f in t.payload if f.name == name}
            if how == "name" and types and types <= {"string", "text"}:
                out.append((key, name, False))
            elif how == "name" and types == {"string_list"}:
                out.append((key, name, True))
    return out
