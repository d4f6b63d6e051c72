"""Sequences v4 (Sales Hub): ``POST /automation/v4/sequences/enrollments?userId=`` and
``GET /automation/v4/sequences/enrollments/contact/{contactId}``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from hubspot_twin.catalog import resolve
from hubspot_twin.crm.sequences import Enrollment
from hubspot_twin.errors import HubSpotError, missing_attributes, not_found
from hubspot_twin.http.api.plumbing import body_object, respond, store

blueprint = Blueprint("sequences", __name__, url_prefix="/automation/v4/sequences")
REQUIRED = ("contactId", "sequenceId", "senderEmail")


@blueprint.post("/enrollments")
def enroll() -> Response:
    """Enroll a contact in a sequence as the user ``userId``; answer the enrollment."""
    user_id = request.args.get("userId", "").strip()
    if not user_id:
        raise HubSpotError(400, "Missing required query parameter userId")
    body = body_object("PublicSequenceEnrollmentRequest")
    absent = [name for name in REQUIRED if not isinstance(body.get(name), str) or not body[name]]
    if absent:
        raise missing_attributes("PublicSequenceEnrollmentRequest", absent)
    contact = store().lookup(resolve("contacts"), body["contactId"])
    if contact is None:
        raise not_found(f"Contact {body['contactId']} does not exist")
    found = (contact.id, contact.properties.get("email"))
    enrollment = store().sequences.enroll(
        store().owners, user_id, body["sequenceId"], found, body["senderEmail"], store().now()
    )
    return respond({"id": enrollment.id, "toEmail": enrollment.to_email, "enrolledAt": enrollment.enrolled_at,
                    "updatedAt": enrollment.enrolled_at})  # fmt: skip


@blueprint.get("/enrollments/contact/<contact_id>")
def of_contact(contact_id: str) -> Response:
    """Read a contact's enrollment, or HubSpot's 404 when it is in no sequence."""
    return respond(_enrollment_json(store().sequences.of_contact(contact_id)))


def _enrollment_json(enrollment: Enrollment) -> dict[str, Any]:
    """Return a ``PublicSequenceEnrollmentResponse``."""
    return {
        "id": enrollment.id,
        "toEmail": enrollment.to_email,
        "enrolledAt": enrollment.enrolled_at,
        "updatedAt": enrollment.enrolled_at,
        "enrolledBy": enrollment.user_id,
        "enrolledByEmail": enrollment.sender_email,
        "sequenceId": enrollment.sequence.id,
        "sequenceName": enrollment.sequence.name,
    }
