"""Pipelines and their stages, per object type: HubSpot's default sales pipeline for deals and its default lead
pipeline for leads, plus any seeded through the Python API.

A deal's ``dealstage`` must be a stage of its ``pipeline``; a stage's metadata says whether it closes the deal and
with which win probability, which HubSpot copies into the calculated ``hs_is_closed``, ``hs_is_closed_won`` and
``hs_deal_stage_probability``. A lead's ``hs_pipeline_stage`` must be a stage of its ``hs_pipeline``; lead stages
carry no probability (``probability`` None), only whether they end the lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hubspot_twin.catalog import deals, leads
from hubspot_twin.errors import HubSpotError

FIRST_CUSTOM_ID = 100000001
# HubSpot's default pipeline and its stages report createdAt = 0 (the SDK's model documents it).
EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class StageSpec:
    """A stage to seed: label, win probability (0.0–1.0; None for a lead stage), whether it closes the record,
    and an optional id."""

    label: str
    probability: float | None
    closed: bool = False
    stage_id: str | None = None


@dataclass(frozen=True)
class Stage:
    """One stage of a pipeline."""

    id: str
    label: str
    display_order: int
    probability: float | None
    closed: bool
    created_at: str

    @property
    def closed_won(self) -> bool:
        """Return whether a deal in this stage is won."""
        return self.closed and self.probability is not None and self.probability >= 1.0

    def metadata(self) -> dict[str, str]:
        """Return HubSpot's stage metadata (strings: ``isClosed``, and ``probability`` for a deal stage)."""
        metadata = {"isClosed": str(self.closed).lower()}
        if self.probability is not None:
            metadata["probability"] = str(float(self.probability))
        return metadata


@dataclass
class Pipeline:
    """One pipeline with its stages in display order."""

    id: str
    label: str
    display_order: int
    created_at: str
    stages: list[Stage] = field(default_factory=list)

    def stage(self, stage_id: str) -> Stage | None:
        """Return the stage with ``stage_id``, or None."""
        return next((s for s in self.stages if s.id == stage_id), None)


def deal_pipelines() -> Pipelines:
    """Return a portal's deal pipelines: HubSpot's default sales pipeline."""
    stages = [StageSpec(label, p, closed, stage_id) for stage_id, label, p, closed in deals.DEFAULT_STAGES]
    return Pipelines(deals.DEFAULT_PIPELINE_LABEL, deals.DEFAULT_PIPELINE_ID, stages)


def lead_pipelines() -> Pipelines:
    """Return a portal's lead pipelines: HubSpot's default lead pipeline."""
    stages = [StageSpec(label, None, closed, stage_id) for stage_id, label, closed in leads.DEFAULT_STAGES]
    return Pipelines(leads.DEFAULT_PIPELINE_LABEL, leads.DEFAULT_PIPELINE_ID, stages)


class Pipelines:
    """The pipelines of one object type in one portal, the default one first; the store guards them with its
    lock."""

    def __init__(self, default_label: str, default_id: str, default_stages: Iterable[StageSpec]) -> None:
        self._pipelines: dict[str, Pipeline] = {}
        self._next_id = FIRST_CUSTOM_ID
        self.default_id = default_id
        self.create(default_label, default_stages, EPOCH, pipeline_id=default_id)

    def create(self, label: str, stages: Iterable[StageSpec], now: str, *, pipeline_id: str | None = None) -> Pipeline:
        """Add a pipeline (ids are generated unless given); raise HubSpot's 400 for a taken id or no stages."""
        new_id = pipeline_id or self._take_id()
        if new_id in self._pipelines:
            raise HubSpotError(400, f"A pipeline with id {new_id} already exists", "OBJECT_ALREADY_EXISTS")
        pipeline = Pipeline(new_id, label, len(self._pipelines), now)
        for order, spec in enumerate(stages):
            stage_id = spec.stage_id or self._take_id()
            pipeline.stages.append(Stage(stage_id, spec.label, order, spec.probability, spec.closed, now))
        if not pipeline.stages:
            raise HubSpotError(400, "A pipeline needs at least one stage")
        self._pipelines[new_id] = pipeline
        return pipeline

    def get(self, pipeline_id: str) -> Pipeline | None:
        """Return a pipeline by id, or None."""
        return self._pipelines.get(pipeline_id)

    def all(self) -> list[Pipeline]:
        """Return every pipeline in display order."""
        return sorted(self._pipelines.values(), key=lambda p: p.display_order)

    def _take_id(self) -> str:
        self._next_id += 1
        return str(self._next_id - 1)
