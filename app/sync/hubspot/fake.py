"""`InMemoryHubSpot`: the HubSpot gateway held in dicts, so tests of the shell run in milliseconds.

It keeps the gateway's contract as the SDK gateway meets it over HTTP (tests/integration/test_gateway_conformance.py
runs the same checks against both): batch reads leave out the ids it lacks; a batch update refuses unknown ids
(OBJECT_NOT_FOUND) and writes the others, and fails whole (400) on a property the portal does not define or a
read-only one; an upsert creates or updates by the unique property and refuses an invalid record alone; listings
page by 100; a contact's `associatedcompanyid` follows its primary company; `lifecyclestage` only moves forward.
Property definitions are checked only for object types the fake was told some (`define`, `create_property`).

Every HTTP request the SDK gateway would send is recorded in `calls`: one per 100 records of a batch call (per
1,000 ids of an association read), one per listed page, count or property call, and two for the owners (the
active ones, then the archived ones). Property histories are kept for `read_histories` (each write stamped now, or
when `change` says). Knobs: `fail_next` makes an operation's next calls raise what the SDK gateway raises once its
retries are spent; `leave_unanswered` makes the next updates land unanswered (see `uncertain_writes`); `refuse`
makes HubSpot refuse a record's writes for good. Lists (`add_list`) take members by hand unless DYNAMIC;
sequences (`add_sequence`) enroll a contact with an email once, by an active owner's user id sending as the owner's
email. The token's `scopes` and the deal `pipelines` are seeded by hand (none until then); the portal has HubSpot's
default lead pipeline unless `lead_pipeline_list` is None (no Leads: every lead call is a 403). Left out knowingly:
value normalisation (values are kept as written; `""` clears one), search, merges, rate limits and retries.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from app.rules.handover.leads import LeadPipeline, PipelineStage
from app.rules.handover.types import Owner
from app.rules.properties import PropertyInfo, PropertyOption
from app.rules.scoring.recall import PropertyVersion
from app.sync.hubspot import fake_rules
from app.sync.hubspot.errors import HubSpotError, PermanentHubSpotError
from app.sync.hubspot.fake_rules import Links, Node
from app.sync.hubspot.gateway import (
    API_OBJECT_TYPES,
    HISTORY_BATCH_LIMIT,
    PRIMARY_COMPANY_ID,
    DealPipeline,
    Enrollment,
    History,
    NewRecord,
    Properties,
    Upserted,
)

BATCH_LIMIT = 100  # records per batch request (and per listed page)
ASSOCIATION_READ_LIMIT = 1000  # ids per v4 association batch read
OWNER_PAGE_LIMIT = 500
# HubSpot's default lead pipeline, as every portal with Leads has it.
DEFAULT_LEAD_PIPELINE = LeadPipeline(
    "lead-pipeline-id",
    "Lead pipeline",
    tuple(
        PipelineStage(stage_id, label)
        for stage_id, label in (
            ("new-stage-id", "New"),
            ("attempting-stage-id", "Attempting"),
            ("connected-stage-id", "Connected"),
            ("qualified-stage-id", "Qualified"),
            ("unqualified-stage-id", "Disqualified"),
        )
    ),
)
NOT_FOUND = "OBJECT_NOT_FOUND: Could not get some {} objects, they may be deleted or not exist."


class Request(NamedTuple):
    """One HTTP request the SDK gateway would have sent."""

    operation: str  # the gateway method: "read_objects", "update_objects", …
    object_type: str  # "contact"; "contact→company" for associations; "" for owners
    records: int  # ids, records or pairs it carries


class InMemoryHubSpot:
    """`HubSpotGateway` over dicts; the methods before the gateway's seed and inspect it for free."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, str]]] = {object_type: {} for object_type in API_OBJECT_TYPES}
        self.links = Links()
        self.definitions: dict[str, dict[str, PropertyInfo]] = {}
        self.groups: set[tuple[str, str]] = set()
        self.team: list[Owner] = []
        self.calls: list[Request] = []
        self.uncertain: dict[str, set[str]] = {}  # seed it to have `uncertain_writes` report records
        self.refusals: dict[tuple[str, str], str] = {}  # (object type, id or unique value) → reason
        self._refusals_left: dict[tuple[str, str], int] = {}  # refusals that end after this many writes
        self._faults: dict[str, list[HubSpotError]] = {}
        self._unanswered = 0
        self._next_id = 1
        self.histories: dict[tuple[str, str], History] = {}  # every value written, newest first
        self.lists: dict[str, tuple[str, list[str]]] = {}  # list id → (processing type, member ids in join order)
        self.sequences: set[str] = set()
        self.enrollments: dict[str, tuple[Enrollment, str, str]] = {}  # contact → (enrollment, user id, sender)
        self.scopes: frozenset[str] = frozenset()  # what token introspection reports
        self.pipelines: list[DealPipeline] = []
        # The portal's lead pipelines; None: the portal has no Leads (every lead call is HubSpot's 403).
        self.lead_pipeline_list: list[LeadPipeline] | None = [DEFAULT_LEAD_PIPELINE]

    def create(self, object_type: str, properties: Mapping[str, str] | None = None) -> str:
        """Add a record, as someone in HubSpot would; return its id."""
        object_id, self._next_id = str(self._next_id), self._next_id + 1
        self.records[object_type][object_id] = {"hs_object_id": object_id}
        self._write(object_type, object_id, properties or {})
        return object_id

    def change(
        self, object_type: str, object_id: str, properties: Mapping[str, str], at: datetime | None = None
    ) -> None:
        """Change a record's values, as someone in HubSpot would (`""` clears one), at `at` (default: now)."""
        self._write(object_type, object_id, properties, at)

    def get(self, object_type: str, object_id: str) -> dict[str, str]:
        """Return every value a record holds."""
        return dict(self.records[object_type][object_id])

    def delete(self, object_type: str, object_id: str) -> None:
        """Archive a record: it and its associations leave the portal."""
        del self.records[object_type][object_id]
        self._sync_company_ids(self.links.drop((object_type, object_id)))

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, *, primary: bool = False) -> None:
        """Associate two records (`primary`: the company becomes the contact's or deal's primary one)."""
        type_id = fake_rules.PRIMARY[from_type] if primary else fake_rules.UNLABELED[(from_type, to_type)]
        self._associate(from_type, to_type, [(from_id, to_id, type_id)])

    def add_owner(
        self, email: str, name: str = "", teams: Sequence[str] = (), active: bool = True, user_id: str | None = None
    ) -> str:
        """Add an owner (a user with a seat, or an archived one); return its id. Its user id is `user_id`, else
        one derived from the owner id (`7` + the owner id)."""
        owner_id = str(9001 + len(self.team))
        self.team.append(Owner(owner_id, email, name or email, tuple(teams), active, user_id or f"7{owner_id}"))
        return owner_id

    def define(self, object_type: str, *names: str, unique: bool = False) -> None:
        """Declare properties of a type; from then on a write of a property it does not define is refused."""
        for name in names:
            info = PropertyInfo(name, name, "string", "text", "", has_unique_value=unique)
            self.definitions.setdefault(object_type, {})[name] = info

    def fail_next(self, operation: str, error: HubSpotError, times: int = 1) -> None:
        """Make the next `times` calls of a gateway method raise `error` (after sending their first request)."""
        self._faults.setdefault(operation, []).extend([error] * times)

    def leave_unanswered(self, times: int = 1) -> None:
        """Let the next `times` updates land without an answer (their records become `uncertain_writes`)."""
        self._unanswered += times

    def refuse(self, object_type: str, key: str, reason: str, times: int | None = None) -> None:
        """Refuse every write of a record (by id, or by an upsert's unique value): for good, or `times` writes."""
        self.refusals[(object_type, key)] = reason
        if times is not None:
            self._refusals_left[(object_type, key)] = times

    def _refusal(self, object_type: str, key: str) -> str | None:
        """Return why a write of the record is refused (counting down a refusal of a few writes), or None."""
        reason = self.refusals.get((object_type, key))
        left = self._refusals_left.get((object_type, key))
        if reason is not None and left is not None:
            self._refusals_left[(object_type, key)] = left - 1
            if left <= 1:
                del self.refusals[(object_type, key)], self._refusals_left[(object_type, key)]
        return reason

    def add_list(self, processing_type: str = "MANUAL") -> str:
        """Add a list of contacts, as the marketer would; return its id."""
        list_id = str(len(self.lists) + 1)
        self.lists[list_id] = (processing_type, [])
        return list_id

    def add_sequence(self) -> str:
        """Add a sales sequence; return its id."""
        sequence_id = str(80000001 + len(self.sequences))
        self.sequences.add(sequence_id)
        return sequence_id

    def request_counts(self) -> Counter[tuple[str, str]]:
        """Return the requests sent so far by (operation, object type)."""
        return Counter((call.operation, call.object_type) for call in self.calls)

    # The gateway ------------------------------------------------------------------------------------------

    def read_objects(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Properties]:
        unique = list(dict.fromkeys(ids))
        self._send("read_objects", object_type, len(unique))
        have = self.records[object_type]
        return {i: self._view(object_type, have[i], properties) for i in unique if i in have}

    def read_histories(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, History]:
        unique = list(dict.fromkeys(ids))
        self._send("read_histories", object_type, len(unique), limit=HISTORY_BATCH_LIMIT)
        have = self.records[object_type]
        return {
            i: {name: list(self.histories.get((object_type, i), {}).get(name, [])) for name in properties}
            for i in unique
            if i in have
        }

    def read_associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        self._send("read_associations", f"{from_type}→{to_type}", len(set(ids)), limit=ASSOCIATION_READ_LIMIT)
        return {i: self.links.of((from_type, i), to_type) for i in ids}

    def update_objects(self, object_type: str, updates: Mapping[str, Mapping[str, str | None]]) -> dict[str, str]:
        self._send("update_objects", object_type, len(updates))
        names = {name for values in updates.values() for name in values}
        invalid = fake_rules.write_problem(self.definitions.get(object_type), names)
        if invalid:
            raise PermanentHubSpotError(f"batch-update {object_type}: HubSpot answered 400: {invalid}", 400)
        refused: dict[str, str] = {}
        for object_id, values in updates.items():
            reason = self._refusal(object_type, object_id)
            if reason is None and object_id not in self.records[object_type]:
                reason = NOT_FOUND.format(object_type)
            if reason is None:
                self._write(object_type, object_id, values)
            else:
                refused[object_id] = reason
        if self._unanswered and updates:
            self._unanswered -= 1
            self.uncertain.setdefault(object_type, set()).update(updates)
        return refused

    def upsert_objects(self, object_type: str, id_property: str, records: Mapping[str, Mapping[str, str]]) -> Upserted:
        self._send("upsert_objects", object_type, len(records))
        ids: dict[str, str] = {}
        refused: dict[str, str] = {}
        known = self.definitions.get(object_type)
        not_unique = fake_rules.identifier_problem(known, object_type, id_property)
        for key, values in records.items():
            reason = self._refusal(object_type, key) or not_unique
            reason = reason or fake_rules.write_problem(known, {*values, id_property})
            if reason is not None:
                refused[key] = reason
                continue
            have = self.records[object_type]
            object_id = next((i for i, held in have.items() if held.get(id_property) == key), None)
            ids[key] = object_id or self.create(object_type)
            self._write(object_type, ids[key], {**values, id_property: key})
        return Upserted(ids, refused)

    def create_objects(self, object_type: str, id_property: str, records: Mapping[str, NewRecord]) -> Upserted:
        self._send("create_objects", object_type, len(records))
        self._check_leads(object_type)
        ids: dict[str, str] = {}
        refused: dict[str, str] = {}
        known = self.definitions.get(object_type)
        for key, record in records.items():
            holder = next((i for i, held in self.records[object_type].items() if held.get(id_property) == key), None)
            reason = self._refusal(object_type, key) or fake_rules.write_problem(known, {*record.properties})
            if holder is not None:
                reason = f"VALIDATION_ERROR: {holder} already has that value."
            if reason is not None:
                refused[key] = reason
                continue
            ids[key] = self.create(object_type, {**record.properties, id_property: key})
            for to_type, to_id, type_id in record.associations:
                self._associate(object_type, to_type, [(ids[key], to_id, type_id)])
        return Upserted(ids, refused)

    def lead_pipelines(self) -> list[LeadPipeline]:
        self._send("lead_pipelines", "lead", 1)
        self._check_leads("lead")
        return list(self.lead_pipeline_list or [])

    def _check_leads(self, object_type: str) -> None:
        if object_type == "lead" and self.lead_pipeline_list is None:
            raise PermanentHubSpotError("HubSpot answered 403: This app hasn't been granted all required scopes", 403,
                                        "MISSING_SCOPES")  # fmt: skip

    def create_associations(self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str, int]]) -> None:
        self._send("create_associations", f"{from_type}→{to_type}", len({(a, b) for a, b, _ in pairs}))
        self._associate(from_type, to_type, pairs)

    def uncertain_writes(self, object_type: str) -> set[str]:
        return self.uncertain.pop(object_type, set())

    def owners(self) -> list[Owner]:
        active = [owner for owner in self.team if owner.active]
        self._send("owners", "", len(active), limit=OWNER_PAGE_LIMIT, always=True)
        self._send("owners", "", len(self.team) - len(active), limit=OWNER_PAGE_LIMIT, always=True)
        return [*active, *(owner for owner in self.team if not owner.active)]

    def token_scopes(self) -> frozenset[str]:
        self._send("token_scopes", "", 1)
        return self.scopes

    def deal_pipelines(self) -> list[DealPipeline]:
        self._send("deal_pipelines", "deal", 1)
        return list(self.pipelines)

    def list_objects(
        self, object_type: str, after: str | None, properties: Sequence[str]
    ) -> tuple[dict[str, Properties], str | None]:
        ids = sorted(self.records[object_type], key=int)
        ids = [i for i in ids if int(i) >= int(after)] if after else ids
        self._send("list_objects", object_type, min(len(ids), BATCH_LIMIT), always=True)
        have = self.records[object_type]
        page = {i: self._view(object_type, have[i], properties) for i in ids[:BATCH_LIMIT]}
        return page, (ids[BATCH_LIMIT] if len(ids) > BATCH_LIMIT else None)

    def count(self, object_type: str) -> int:
        self._send("count", object_type, always=True)
        return len(self.records[object_type])

    def properties(self, object_type: str) -> list[PropertyInfo]:
        self._send("properties", object_type, always=True)
        self._check_leads(object_type)
        return list(self.definitions.get(object_type, {}).values())

    def create_property(self, object_type: str, definition: PropertyInfo) -> None:
        self._send("create_property", object_type, always=True)
        if definition.name in self.definitions.get(object_type, {}):
            raise PermanentHubSpotError(f"create property: {definition.name} already exists", 409, "CONFLICT")
        if (object_type, definition.group_name) not in self.groups:
            raise PermanentHubSpotError(f"create property: group {definition.group_name} does not exist", 400)
        self.definitions.setdefault(object_type, {})[definition.name] = definition

    def update_property_options(self, object_type: str, name: str, options: Sequence[PropertyOption]) -> None:
        self._send("update_property_options", object_type, always=True)
        known = self.definitions.get(object_type, {})
        if name not in known:
            raise PermanentHubSpotError(f"update property: {name} does not exist", 404, "OBJECT_NOT_FOUND")
        known[name] = dataclasses.replace(known[name], options=tuple(options))

    def property_group_exists(self, object_type: str, name: str) -> bool:
        self._send("property_group_exists", object_type, always=True)
        return (object_type, name) in self.groups

    def create_property_group(self, object_type: str, name: str, label: str) -> None:
        self._send("create_property_group", object_type, always=True)
        if (object_type, name) in self.groups:
            raise PermanentHubSpotError(f"create property group: {name} already exists", 409, "CONFLICT")
        self.groups.add((object_type, name))

    def list_processing_type(self, list_id: str) -> str | None:
        self._send("list_processing_type", list_id, 1)
        kept = self.lists.get(list_id)
        return kept[0] if kept is not None else None

    def add_list_members(self, list_id: str, record_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(record_ids))
        if not ids:
            return []
        self._send("add_list_members", list_id, len(ids), limit=len(ids))
        if list_id not in self.lists:
            raise PermanentHubSpotError(f"add list members {list_id}: HubSpot answered 404: List {list_id} does not "
                                        "exist", 404, "OBJECT_NOT_FOUND")  # fmt: skip
        processing_type, members = self.lists[list_id]
        if processing_type == "DYNAMIC":
            raise PermanentHubSpotError(f"add list members {list_id}: HubSpot answered 400: a DYNAMIC list", 400)
        have = self.records["contact"]
        members.extend(i for i in ids if i in have and i not in members)
        return [i for i in ids if i not in have]

    def enroll_in_sequence(self, sequence_id: str, contact_id: str, user_id: str, sender_email: str) -> str:
        self._send("enroll_in_sequence", "contact", 1)
        operation = f"enroll in sequence {contact_id}: HubSpot answered"
        owner = next((o for o in self.team if o.active and o.user_id == user_id), None)
        if owner is None or owner.email.lower() != sender_email.strip().lower():
            raise PermanentHubSpotError(f"{operation} 400: no user {user_id} sending as {sender_email}", 400)
        if sequence_id not in self.sequences:
            raise PermanentHubSpotError(f"{operation} 404: no sequence {sequence_id}", 404, "OBJECT_NOT_FOUND")
        if not self.records["contact"].get(contact_id, {}).get("email"):
            raise PermanentHubSpotError(f"{operation} 400: no contact {contact_id} with an email", 400)
        if contact_id in self.enrollments:
            raise PermanentHubSpotError(f"{operation} 400: already enrolled in a sequence", 400, "CONFLICT")
        enrollment = Enrollment(str(60000001 + len(self.enrollments)), sequence_id)
        self.enrollments[contact_id] = (enrollment, user_id, sender_email)
        return enrollment.id

    def sequence_enrollment(self, contact_id: str) -> Enrollment | None:
        self._send("sequence_enrollment", "contact", 1)
        held = self.enrollments.get(contact_id)
        return held[0] if held else None

    # Inside -----------------------------------------------------------------------------------------------

    def _send(
        self, operation: str, object_type: str, records: int = 0, limit: int = BATCH_LIMIT, *, always: bool = False
    ) -> None:
        """Record the requests a call sends (none for an empty batch); raise the operation's next fault if any."""
        sizes = [min(limit, records - start) for start in range(0, records, limit)] or ([0] if always else [])
        faults = self._faults.get(operation)
        if sizes and faults:
            self.calls.append(Request(operation, object_type, sizes[0]))
            raise faults.pop(0)
        self.calls.extend(Request(operation, object_type, size) for size in sizes)

    def _view(self, object_type: str, record: Mapping[str, str], properties: Iterable[str]) -> Properties:
        """Return the asked-for properties of a record (unset: None; undefined in a defined type: left out)."""
        known = self.definitions.get(object_type)
        names = [name for name in properties if not known or name in known or name in fake_rules.READ_ONLY]
        return {"hs_object_id": record["hs_object_id"], **{name: record.get(name) for name in names}}

    def _write(
        self, object_type: str, object_id: str, values: Mapping[str, str | None], at: datetime | None = None
    ) -> None:
        record = self.records[object_type][object_id]
        history = self.histories.setdefault((object_type, object_id), {})
        for name, value in values.items():
            if value is None or (name == "lifecyclestage" and fake_rules.moves_backward(record.get(name), value)):
                continue  # HubSpot ignores a lifecycle stage that would move backward (and answers 200)
            version = PropertyVersion(value or None, at or datetime.now(UTC))
            history[name] = [version, *history.get(name, [])]
            if value == "":
                record.pop(name, None)
            else:
                record[name] = value

    def _associate(self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str, int]]) -> None:
        missing = sorted(
            {f"{a}:{b}" for a, b, _ in pairs if a not in self.records[from_type] or b not in self.records[to_type]}
        )
        if missing:
            raise PermanentHubSpotError(f"associate {from_type}→{to_type}: HubSpot refused {len(missing)} pair(s): "
                                        f"OBJECT_NOT_FOUND: {', '.join(missing)}", 400, "OBJECT_NOT_FOUND")  # fmt: skip
        for from_id, to_id, type_id in pairs:
            self.links.add((from_type, from_id), (to_type, to_id), type_id)
        self._sync_company_ids([(from_type, a) for a, _, _ in pairs] + [(to_type, b) for _, b, _ in pairs])

    def _sync_company_ids(self, nodes: Iterable[Node]) -> None:
        """Keep each contact's `associatedcompanyid` equal to its primary company's id."""
        for object_type, object_id in nodes:
            record = self.records[object_type].get(object_id) if object_type == "contact" else None
            if record is not None:
                primary = self.links.primary_company((object_type, object_id))
                self._write(object_type, object_id, {PRIMARY_COMPANY_ID: primary or ""})
