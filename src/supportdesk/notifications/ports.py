"""The `Notifier` port and the implementations shipped beside it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("supportdesk.notifications")


@dataclass(frozen=True)
class Notification:
    dedupe_key: str
    recipient: str
    kind: str
    ticket_id: int | None
    payload: dict[str, Any]


class Notifier(Protocol):
    """Delivers one notification. Delivery is at least once: receivers dedupe by `dedupe_key`.
    Raise to have the dispatcher retry later."""

    def send(self, notification: Notification) -> None: ...


class LogNotifier:
    """Writes notifications to the log (the default until a mail/pager transport is configured)."""

    def send(self, notification: Notification) -> None:
        log.info(
            "notify %s <%s> ticket=%s key=%s",
            notification.kind,
            notification.recipient,
            notification.ticket_id,
            notification.dedupe_key,
        )


@dataclass
class FakeNotifier:
    """Records what was sent, deduplicating by key like a real receiver; can fail on demand."""

    sent: list[Notification] = field(default_factory=list)
    fail_next: int = 0

    def send(self, notification: Notification) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("fake delivery failure")
        if all(n.dedupe_key != notification.dedupe_key for n in self.sent):
            self.sent.append(notification)

    def to(self, recipient: str) -> list[Notification]:
        return [n for n in self.sent if n.recipient == recipient]

    def kinds(self) -> list[str]:
        return [n.kind for n in self.sent]
