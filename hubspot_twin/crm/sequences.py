"""Sales sequences (Sales Hub) and their enrollments: a contact is in at most one sequence at a time, enrolled by a
user (an active owner's ``userId``) who sends from their own address.

Sequences are seeded through the Python API (``Twin.create_sequence``); the HTTP API enrolls and reads enrollments.
The store guards them with its lock. Errors HubSpot's documentation does not give are the twin's text.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubspot_twin.crm.owners import Owners
from hubspot_twin.errors import HubSpotError, not_found

FIRST_SEQUENCE_ID = 80000001
FIRST_ENROLLMENT_ID = 60000001


@dataclass(frozen=True)
class Sequence:
    """A sequence of the portal."""

    id: str
    name: str


@dataclass(frozen=True)
class Enrollment:
    """A contact's enrollment in a sequence, by the user who enrolled it."""

    id: str
    contact_id: str
    sequence: Sequence
    to_email: str
    user_id: str
    sender_email: str
    enrolled_at: str


class Sequences:
    """The portal's sequences and every contact's current enrollment."""

    def __init__(self) -> None:
        self._sequences: dict[str, Sequence] = {}
        self._enrollments: dict[str, Enrollment] = {}  # contact id → its enrollment
        self._next_enrollment = FIRST_ENROLLMENT_ID

    def create(self, name: str) -> Sequence:
        """Add a sequence; return it."""
        sequence = Sequence(str(FIRST_SEQUENCE_ID + len(self._sequences)), name)
        self._sequences[sequence.id] = sequence
        return sequence

    def enroll(
        self,
        owners: Owners,
        user_id: str,
        sequence_id: str,
        contact: tuple[str, str | None],
        sender_email: str,
        now: str,
    ) -> Enrollment:
        """Enroll a contact (its id and email); raise HubSpot's error for an unknown user, sequence or sender, a
        contact without an email, or one already enrolled in a sequence."""
        owner = owners.find(user_id, by_user_id=True)
        if owner is None:
            raise HubSpotError(400, f"User {user_id} is not an active user of the portal")
        sequence = self._sequences.get(sequence_id)
        if sequence is None:
            raise not_found(f"Sequence {sequence_id} does not exist")
        if sender_email.strip().lower() != owner.email:
            raise HubSpotError(400, f"{sender_email} is not a connected inbox of user {user_id}")
        contact_id, email = contact
        if not email:
            raise HubSpotError(400, f"Contact {contact_id} has no email address")
        held = self._enrollments.get(contact_id)
        if held is not None:
            raise HubSpotError(
                400, f"Contact {contact_id} is already enrolled in sequence {held.sequence.id}", "CONFLICT"
            )
        enrollment = Enrollment(str(self._next_enrollment), contact_id, sequence, email, user_id, owner.email, now)
        self._next_enrollment += 1
        self._enrollments[contact_id] = enrollment
        return enrollment

    def of_contact(self, contact_id: str) -> Enrollment:
        """Return a contact's enrollment, or raise HubSpot's 404."""
        found = self._enrollments.get(contact_id)
        if found is None:
            raise not_found(f"Contact {contact_id} is not enrolled in a sequence")
        return found
