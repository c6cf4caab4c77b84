"""The support policy: a validated data model, its loader, and the packaged default."""

from supportdesk.core.policy.loader import (
    PolicyError,
    default_policy_text,
    load_policy,
    load_policy_text,
)
from supportdesk.core.policy.model import Policy, Target, Tier

__all__ = [
    "Policy",
    "PolicyError",
    "Target",
    "Tier",
    "default_policy_text",
    "load_policy",
    "load_policy_text",
]
