"""Directory tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from supportdesk.db.base import Base
from supportdesk.db.types import JSONType, UTCDateTime

ACCOUNT_KINDS = ("msp", "partner", "direct")
AGENT_ROLES = ("agent", "team_lead", "support_manager", "admin")
VERIFICATION_STATES = ("verified", "pending", "unverified")


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(64))
    #: The vendor's account owner (an agent), if any.
    owner_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Person(Base):
    """Someone on the customer side: an MSP/partner admin, a tenant admin, a user."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    verification: Mapped[str] = mapped_column(String(16), default="verified")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def verified(self) -> bool:
        return self.verification == "verified"


class Agent(Base):
    """The vendor's support staff. `queues` are the queue names the agent works."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32), default="agent")
    team: Mapped[str] = mapped_column(String(64), default="support")
    queues: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: Working hours in `time_zone`, e.g. "09:00-17:00", and weekdays 0=Monday.
    work_hours: Mapped[str] = mapped_column(String(16), default="09:00-17:00")
    work_days: Mapped[list[int]] = mapped_column(JSONType, default=lambda: [0, 1, 2, 3, 4])
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
