"""Deal pipelines through the official SDK: HubSpot's default sales pipeline and pipelines seeded by the twin."""

from __future__ import annotations

from hubspot import HubSpot

from hubspot_twin import Twin
from hubspot_twin.crm.pipelines import StageSpec
from tests.integration.twin.support import TIMEOUT, api_error


def test_the_default_pipeline_has_hubspots_default_stages(client: HubSpot) -> None:
    pipelines = client.crm.pipelines.pipelines_api.get_all("deals", _request_timeout=TIMEOUT).results

    default = pipelines[0]
    assert (default.id, default.label, default.display_order, default.archived) == (
        "default",
        "Sales Pipeline",
        0,
        False,
    )
    assert [(s.id, s.metadata["probability"], s.metadata["isClosed"]) for s in default.stages] == [
        ("appointmentscheduled", "0.2", "false"),
        ("qualifiedtobuy", "0.4", "false"),
        ("presentationscheduled", "0.6", "false"),
        ("decisionmakerboughtin", "0.8", "false"),
        ("contractsent", "0.9", "false"),
        ("closedwon", "1.0", "true"),
        ("closedlost", "0.0", "true"),
    ]


def test_a_pipeline_and_its_stages_are_read_by_id(client: HubSpot) -> None:
    pipeline = client.crm.pipelines.pipelines_api.get_by_id("deals", "default", _request_timeout=TIMEOUT)
    stages = client.crm.pipelines.pipeline_stages_api.get_all("deals", "default", _request_timeout=TIMEOUT)
    stage = client.crm.pipelines.pipeline_stages_api.get_by_id(
        "deals", "default", "closedwon", _request_timeout=TIMEOUT
    )

    assert [s.id for s in stages.results] == [s.id for s in pipeline.stages]
    assert (stage.label, stage.display_order) == ("Closed Won", 5)


def test_a_seeded_pipeline_is_listed_and_its_stages_become_dealstage_options(client: HubSpot, twin: Twin) -> None:
    pipeline_id = twin.create_pipeline(
        "Partner deals", [StageSpec("Referred", 0.1), StageSpec("Signed", 1.0, closed=True, stage_id="signed")]
    )

    listed = client.crm.pipelines.pipelines_api.get_all("deals", _request_timeout=TIMEOUT).results
    dealstage = client.crm.properties.core_api.get_by_name("deals", "dealstage", _request_timeout=TIMEOUT)
    pipeline = client.crm.properties.core_api.get_by_name("deals", "pipeline", _request_timeout=TIMEOUT)

    assert [(p.id, p.label, p.display_order) for p in listed][1] == (pipeline_id, "Partner deals", 1)
    assert [s.label for s in listed[1].stages] == ["Referred", "Signed"]
    assert "signed" in [o.value for o in dealstage.options]
    assert [o.value for o in pipeline.options] == ["default", pipeline_id]


def test_an_unknown_pipeline_is_a_404(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.pipelines.pipelines_api.get_by_id("deals", "nope", _request_timeout=TIMEOUT)
    )

    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"


def test_the_default_pipeline_survives_a_reset_and_seeded_ones_do_not(twin: Twin) -> None:
    twin.create_pipeline("Temporary", [StageSpec("Only", 0.5)])

    twin.reset()

    assert [p["id"] for p in twin.pipelines()] == ["default"]
