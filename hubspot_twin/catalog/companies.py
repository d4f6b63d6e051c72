"""HubSpot's default company properties and groups (the subset Leadflow reads and writes)."""

from __future__ import annotations

from hubspot_twin.catalog.contacts import LIFECYCLE_STAGES
from hubspot_twin.catalog.industries import INDUSTRIES
from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, number, owner, record_id, text

GROUPS: tuple[tuple[str, str], ...] = (
    ("companyinformation", "Company information"),
    ("analyticsinformation", "Web analytics history"),
)

_INFO = "companyinformation"
PROPERTIES: tuple[PropertySpec, ...] = (
    text("name", "Company name", _INFO),
    text("domain", "Company Domain Name", _INFO),
    text("website", "Website URL", _INFO),
    text("phone", "Phone Number", _INFO, field_type="phonenumber"),
    text("description", "Description", _INFO, field_type="textarea"),
    choice("industry", "Industry", _INFO, INDUSTRIES),
    number("numberofemployees", "Number of Employees", _INFO),
    number("annualrevenue", "Annual Revenue", _INFO),
    text("country", "Country/Region", _INFO),
    text("state", "State/Region", _INFO),
    text("city", "City", _INFO),
    choice("lifecyclestage", "Lifecycle Stage", _INFO, LIFECYCLE_STAGES, field_type="radio"),
    owner("Company owner", _INFO),
    text("hs_merged_object_ids", "Merged Company IDs", _INFO, read_only=True),
    datetime_("createdate", "Create Date", _INFO),
    datetime_("hs_lastmodifieddate", "Last Modified Date", _INFO, read_only=True),
    record_id(_INFO),
)
