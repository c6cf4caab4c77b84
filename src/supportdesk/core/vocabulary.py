"""The words the policy and the triage contract share: roles, channels, paths, categories."""

from __future__ import annotations

from typing import Literal

Role = Literal[
    "msp_admin",
    "partner_admin",
    "partner_owner",
    "tenant_admin",
    "customer_user",
    "end_user",
    "unknown",
]
Channel = Literal["portal", "email", "chat", "phone", "api"]
Involvement = Literal["none", "opened", "joined", "confirmed"]
SupportPath = Literal[
    "accept", "verify_identity", "redirect_to_msp", "await_msp_confirmation", "help_center_only"
]
Category = Literal[
    "credits_usage", "billing", "technical", "access", "integration", "setup", "enablement"
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]
PATHS: tuple[str, ...] = SupportPath.__args__  # type: ignore[attr-defined]
