"""The change feed: every change to the twin's state, as HubSpot's webhooks would report it.

The store publishes one `Change` per committed change — whoever made it: an API request (attributed to the
app that owns the token, `INTEGRATION`), the simulator (`FORM`, `EMAIL`, `CRM_UI`, …) or a test through the
Python API. The webhook dispatcher subscribes to the feed and turns changes into HubSpot's events.
Listeners are called synchronously, in commit order, while the store's lock is held: they must only queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

ChangeKind = Literal[
    "created", "updated", "archived", "restored", "merged", "privacy_deleted", "associated", "dissociated"
]


@dataclass(frozen=True)
class ChangeSource:
    """Who made a change, as HubSpot's `changeSource` and `sourceId` report it."""

    change_source: str = "CRM_UI"
    source_id: str | None = "userId:1"


INTEGRATION = "INTEGRATION"
CRM_UI = ChangeSource()


def integration(app_id: str) -> ChangeSource:
    """Return the source of a change made through the API by the app `app_id`."""
    return ChangeSource(INTEGRATION, app_id)


@dataclass(frozen=True)
class Change:
    """One committed change.

    - `object_type`: the plural API name (`contacts`, `companies`, `deals`, `tasks`, `meetings`, `calls`, …).
    - `properties`: for `created`, the initial values; for `updated`, only the properties whose value changed
      (new values; `None` when cleared).
    - `merged`: `object_id` is the surviving (primary) record, `merged_ids` the records merged into it and
      `new_object_id` a record the merge created, if any.
    - `associated` / `dissociated`: one change per pair and kind set, from `object_type`/`object_id` to
      `to_object_type`/`to_object_id`, with the HUBSPOT_DEFINED type ids of that direction and whether the
      primary kind is involved.
    """

    kind: ChangeKind
    object_type: str
    object_id: str
    occurred_at_ms: int
    source: ChangeSource = CRM_UI
    properties: Mapping[str, str | None] = field(default_factory=dict)
    merged_ids: tuple[str, ...] = ()
    new_object_id: str | None = None
    to_object_type: str | None = None
    to_object_id: str | None = None
    association_type_ids: tuple[int, ...] = ()
    is_primary: bool = False


Listener = Callable[[Change], None]


class ChangeFeed:
    """Fan-out of committed changes to listeners (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every later change; return a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, change: Change) -> None:
        """Hand `change` to every listener."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(change)
