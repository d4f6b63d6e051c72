"""HubSpot's default contact properties and groups (the subset Leadflow reads and writes)."""

from __future__ import annotations

from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, flag, number, owner, record_id, text

GROUPS: tuple[tuple[str, str], ...] = (
    ("contactinformation", "Contact information"),
    ("conversioninformation", "Conversion information"),
    ("emailinformation", "Email information"),
    ("analyticsinformation", "Web analytics history"),
    ("sales_properties", "Sales properties"),
)

LIFECYCLE_STAGES: tuple[tuple[str, str], ...] = (
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
)
# Why HubSpot's e-mail tool stopped mailing a contact after a hard bounce (HubSpot sets it; read-only).
HARD_BOUNCE_REASONS: tuple[tuple[str, str], ...] = (
    ("UNKNOWN_USER", "Unknown user"),
    ("MAILBOX_FULL", "Mailbox full"),
    ("DNS_FAILURE", "DNS failure"),
    ("POLICY", "Policy"),
    ("SPAM", "Spam"),
    ("OTHER", "Other"),
)
LEAD_STATUSES: tuple[tuple[str, str], ...] = (
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
)
BUYING_ROLES: tuple[tuple[str, str], ...] = (
    ("BLOCKER", "Blocker"),
    ("BUDGET_HOLDER", "Budget Holder"),
    ("CHAMPION", "Champion"),
    ("DECISION_MAKER", "Decision Maker"),
    ("END_USER", "End User"),
    ("EXECUTIVE_SPONSOR", "Executive Sponsor"),
    ("INFLUENCER", "Influencer"),
    ("LEGAL_AND_COMPLIANCE", "Legal & Compliance"),
    ("OTHER", "Other"),
)

_INFO = "contactinformation"
PROPERTIES: tuple[PropertySpec, ...] = (
    text("email", "Email", _INFO),
    text("firstname", "First Name", _INFO),
    text("lastname", "Last Name", _INFO),
    text("phone", "Phone Number", _INFO, field_type="phonenumber"),
    text("mobilephone", "Mobile Phone Number", _INFO, field_type="phonenumber"),
    text("company", "Company Name", _INFO),
    text("jobtitle", "Job Title", _INFO),
    text("website", "Website URL", _INFO),
    text("country", "Country/Region", _INFO),
    text("state", "State/Region", _INFO),
    text("city", "City", _INFO),
    choice("lifecyclestage", "Lifecycle Stage", _INFO, LIFECYCLE_STAGES, field_type="radio"),
    choice("hs_lead_status", "Lead Status", "sales_properties", LEAD_STATUSES, field_type="radio"),
    choice("hs_buying_role", "Buying Role", "sales_properties", BUYING_ROLES, field_type="checkbox"),
    owner("Contact owner", _INFO),
    number("associatedcompanyid", "Primary Associated Company ID", _INFO, read_only=True),
    text("recent_conversion_event_name", "Recent Conversion", "conversioninformation", read_only=True),
    datetime_("recent_conversion_date", "Recent Conversion Date", "conversioninformation", read_only=True),
    number("num_conversion_events", "Number of Form Submissions", "conversioninformation", read_only=True),
    datetime_("hs_email_last_send_date", "Last marketing email send date", "emailinformation", read_only=True),
    text("hs_email_last_email_name", "Last marketing email name", "emailinformation", read_only=True),
    number("hs_email_delivered", "Marketing emails delivered", "emailinformation", read_only=True),
    datetime_("hs_email_last_click_date", "Last marketing email click date", "emailinformation", read_only=True),
    datetime_("hs_email_last_open_date", "Last marketing email open date", "emailinformation", read_only=True),
    flag("hs_email_optout", "Unsubscribed from all email", "emailinformation", read_only=True),
    choice(
        "hs_email_hard_bounce_reason_enum",
        "Email hard bounce reason",
        "emailinformation",
        HARD_BOUNCE_REASONS,
        read_only=True,
    ),
    number("hs_analytics_num_page_views", "Number of Pageviews", "analyticsinformation", read_only=True),
    text("hs_analytics_last_url", "Last Page Seen", "analyticsinformation", read_only=True),
    text("hs_merged_object_ids", "Merged Contact IDs", _INFO, read_only=True),
    datetime_("createdate", "Create Date", _INFO),
    datetime_("lastmodifieddate", "Last Modified Date", _INFO, read_only=True),
    record_id(_INFO),
)
