"""Who is calling: an agent (vendor staff) or a person (customer side), with scopes."""

from __future__ import annotations

from dataclasses import dataclass, field

ACCOUNT_ADMIN_ROLES = frozenset({"msp_admin", "partner_admin", "partner_owner"})
ALL_QUEUE_AGENT_ROLES = frozenset({"admin", "support_manager"})

SCOPES = (
    "tickets:read",
    "tickets:write",
    "directory:read",
    "directory:write",
    "policy:read",
    "admin",
)
DEFAULT_AGENT_SCOPES = ("tickets:read", "tickets:write", "directory:read", "policy:read")
DEFAULT_PERSON_SCOPES = ("tickets:read", "tickets:write", "directory:read", "policy:read")


@dataclass(frozen=True)
class Principal:
    kind: str  # "agent" | "person" | "system"
    id: int
    email: str
    role: str
    account_id: int | None = None
    tenant_id: int | None = None
    queues: tuple[str, ...] = ()
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_agent(self) -> bool:
        return self.kind in {"agent", "system"}

    @property
    def sees_all(self) -> bool:
        """Admins, support managers and the system see every ticket and account."""
        return self.kind == "system" or (self.is_agent and self.role in ALL_QUEUE_AGENT_ROLES)

    @property
    def is_account_admin(self) -> bool:
        return self.kind == "person" and self.role in ACCOUNT_ADMIN_ROLES

    def has(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


SYSTEM = Principal(kind="system", id=0, email="system", role="admin", scopes=frozenset({"admin"}))
