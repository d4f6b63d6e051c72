"""Model versions: what publishing a scoring model (`leadflow model publish`) decides, on the file's text alone.

A model's content is its meaning apart from its name: the YAML document without its `model` key, canonically
written (keys sorted, JSON), so comments and layout are not content. Its hash (sha256 of that canonical text)
tells the versions apart. A candidate compared
with the versions published before it is:

- `publish`: a version name not published yet (`warning` set when its content equals an earlier version's);
- `already`: the name published with the same content (nothing to do);
- `refused`: the name published with other content — the model changed without bumping `model`.

The diff a version records is the unified diff of its text against the previous published version's.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.rules.config import parse_document

Decision = Literal["publish", "already", "refused"]


@dataclass(frozen=True)
class PublishedVersion:
    """A model version recorded in the ledger."""

    version: str
    content_hash: str
    text: str
    published_at: datetime
    diff: str  # unified diff against the version published before it ('' for the first)
    source: str  # the path it was published from
    rescore_run: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What publishing a candidate does: its decision, one line saying why, and a warning when there is one."""

    decision: Decision
    reason: str
    warning: str | None = None
    diff: str = ""  # the candidate's text against the latest published version's (decision `publish`)


@dataclass(frozen=True)
class DiffStats:
    """How many lines a diff adds and removes."""

    added: int
    removed: int

    def describe(self) -> str:
        return f"+{self.added} -{self.removed} lines"


def canonical_text(text: str, file: str) -> str:
    """Return the model's content as canonical text (JSON, keys sorted, without the version name `model`); a YAML
    problem is a ConfigError."""
    document = {key: value for key, value in parse_document(text, file).items() if key != "model"}
    return json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)


def content_hash(text: str, file: str) -> str:
    """Return the sha256 (hex) of the model's canonical text."""
    return hashlib.sha256(canonical_text(text, file).encode("utf-8")).hexdigest()


def judge(version: str, text: str, file: str, published: Sequence[PublishedVersion]) -> Verdict:
    """Compare a candidate (`version` named in `text`) with the versions published, oldest first."""
    digest = content_hash(text, file)
    same_name = next((known for known in published if known.version == version), None)
    if same_name is not None:
        if same_name.content_hash == digest:
            return Verdict("already", f"model {version!r} is already published ({_day(same_name.published_at)})")
        return Verdict("refused", _refusal(version, digest, text, same_name))
    twin = next((known for known in reversed(published) if known.content_hash == digest), None)
    warning = None
    if twin is not None:
        warning = f"model {version!r} has the same content as {twin.version!r} (published {_day(twin.published_at)})"
    previous = published[-1] if published else None
    diff = unified_diff(previous.text if previous else "", text, previous.version if previous else None, version)
    return Verdict("publish", f"model {version!r} is new", warning, diff)


def _refusal(version: str, digest: str, text: str, published: PublishedVersion) -> str:
    where = first_difference(published.text, text)
    return (
        f"model {version!r} is already published with other content (published {published.content_hash[:12]}, "
        f"this file {digest[:12]}; first difference: {where}): bump `model` to publish a change"
    )


def first_difference(old: str, new: str) -> str:
    """Return where two texts first differ: the line number and both lines, shortened."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (before, after) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if before != after:
            return f"line {number} {_short(before)!r} → {_short(after)!r}"
    number = min(len(old_lines), len(new_lines)) + 1
    if len(old_lines) > len(new_lines):
        return f"line {number} {_short(old_lines[number - 1])!r} removed"
    if len(new_lines) > len(old_lines):
        return f"line {number} {_short(new_lines[number - 1])!r} added"
    return "only comments or layout"


def unified_diff(old: str, new: str, old_version: str | None, new_version: str) -> str:
    """Return the unified diff from the `old_version` text (None: nothing published before) to the new one."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"scoring.yaml ({old_version})" if old_version else "/dev/null",
        tofile=f"scoring.yaml ({new_version})",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_stats(diff: str) -> DiffStats:
    """Return the lines a unified diff adds and removes (its file headers not counted)."""
    lines = diff.splitlines()
    lines = lines[2:] if lines and lines[0].startswith("--- ") else lines
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    return DiffStats(added, removed)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _short(line: str, width: int = 60) -> str:
    line = line.strip()
    return line if len(line) <= width else line[: width - 1] + "…"
