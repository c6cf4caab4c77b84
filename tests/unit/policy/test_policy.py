"""The policy file: the default loads, bad files are refused by line and field, and a policy file
changes decisions without code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from supportdesk.core.policy import PolicyError, default_policy_text, load_policy_text, loader
from supportdesk.core.triage import triage
from tests.unit.triage.helpers import NOW, ticket


def test_default_policy_encodes_the_published_tiers() -> None:
    p = load_policy_text(default_policy_text())
    assert p.tiers["standard"].channels == ("portal", "email", "api")
    assert set(p.tiers["premium"].channels) == {"portal", "email", "api", "chat", "phone"}
    assert p.tiers["free"].help_center_only
    assert p.target("standard", 1, "first_response").business_hours == 4  # type: ignore[union-attr]
    assert p.target("premium", 3, "first_response").hours == 4  # type: ignore[union-attr]
    assert p.target("standard", 3, "first_response").next_business_day  # type: ignore[union-attr]
    assert p.target("free", 1, "first_response") is None


def _broken(old: str, new: str) -> PolicyError:
    text = default_policy_text()
    assert old in text
    with pytest.raises(PolicyError) as err:
        load_policy_text(text.replace(old, new, 1), "bad.yaml")
    return err.value


def test_an_unknown_role_is_named_with_its_line() -> None:
    err = _broken(
        "{roles: [end_user], msp_involvement: [none]}",
        "{roles: [end_usr], msp_involvement: [none]}",
    )
    line = next(
        i for i, t in enumerate(default_policy_text().splitlines(), 1) if "end_user], msp" in t
    )
    assert any(f"line {line}" in p and "end_usr" in p for p in err.problems), err.problems


def test_a_tier_without_a_target_is_refused() -> None:
    err = _broken("      3: {next_business_day: true}\n", "")
    assert any("tiers.standard" in p and "severity [3]" in p for p in err.problems), err.problems


def test_a_bad_regular_expression_is_refused() -> None:
    err = _broken("'\\bphone[- ]?(agent", "'\\bphone[- ?(agent")
    assert any("invalid regular expression" in p for p in err.problems), err.problems


def test_the_last_path_rule_must_catch_everyone() -> None:
    err = _broken("      - {}\n", "      - {tiers: [premium]}\n")
    assert any("must match everyone" in p for p in err.problems), err.problems


def test_not_yaml_is_refused_with_a_line() -> None:
    with pytest.raises(PolicyError) as err:
        load_policy_text("tiers: [unclosed\n  foo: bar", "x.yaml")
    assert "not valid YAML" in err.value.problems[0]


def test_a_policy_file_changes_the_decision_without_code() -> None:
    text = default_policy_text().replace(
        "    channels: [portal, email, api]\n", "    channels: [portal, email, api, phone]\n", 1
    )
    text = text.replace("      1: {business_hours: 4}", "      1: {business_hours: 2}", 1)
    custom = load_policy_text(text)
    t = ticket("Every user in all our tenants gets HTTP 500, nothing works", channel="phone")
    d = triage(t, custom, NOW)
    assert d.channel_allowed
    due = d.requests[0].first_response_due
    assert due is not None
    assert due.astimezone(UTC) == datetime(2026, 12, 1, 18, 0, tzinfo=UTC) + timedelta(hours=2)


def test_holiday_additions_close_the_desk() -> None:
    text = default_policy_text().replace("      add: []", "      add: [2026-12-02]", 1)
    d = triage(ticket("How do we add a tenant?"), load_policy_text(text), NOW)
    # submitted Tue 1 Dec; Wed 2 Dec is now a holiday, so next business day is Thu 3 Dec
    assert d.requests[0].first_response_due.isoformat() == "2026-12-03T17:00:00-07:00"  # type: ignore[union-attr]


def test_literal_prefilter_never_changes_a_match() -> None:
    from supportdesk.core.policy.model import Matcher

    texts = [
        "Our invoice INV-2231 is wrong",
        "the line items are off",
        "credits card",
        "all of our tenants are down",
        "the phone agent logged 90 minutes",
        "error 403 on every call",
        "nothing relevant here",
        "İstanbul office credits",  # lower-casing changes the length: the slow path decides
    ]
    policy = load_policy_text(default_policy_text())
    patterns = [s.pattern for c in policy.categories.values() for s in c.signals]
    patterns += [s.pattern for lvl in policy.severity.values() for s in lvl.signals]
    for pattern in patterns:
        m = Matcher(pattern)
        for text in texts:
            got = m.search(text)
            want = m.slow.search(text)
            assert (got is None) == (want is None), (pattern, text)


def test_a_sentence_cut_naming_an_unknown_queue_is_refused() -> None:
    err = _broken("    support_queue: support\n", "    support_queue: suport\n")
    assert any("sentence_cut" in p and "suport" in p for p in err.problems), err.problems


def test_an_ask_cut_naming_an_unknown_queue_or_category_is_refused() -> None:
    err = _broken("    from_queues: [support, usage,", "    from_queues: [support, usge,")
    assert any("ask_cut" in p and "usge" in p for p in err.problems), err.problems
    err = _broken("  ask_cut:\n    category: billing\n", "  ask_cut:\n    category: money\n")
    assert any("ask_cut" in p and "money" in p for p in err.problems), err.problems


def test_a_model_cut_never_pair_naming_an_unknown_queue_is_refused() -> None:
    err = _broken("    never_pairs: [[usage, support]]\n", "    never_pairs: [[usage, suport]]\n")
    assert any("never_pairs" in p and "suport" in p for p in err.problems), err.problems


def test_the_fast_yaml_loader_reads_the_published_policy_as_the_pure_python_one() -> None:
    text = default_policy_text()
    assert yaml.load(text, Loader=loader._LOADER) == yaml.load(text, Loader=yaml.SafeLoader)
    assert loader._LOADER in (getattr(yaml, "CSafeLoader", None), yaml.SafeLoader)


def test_the_policy_knows_exactly_the_detectors_the_core_has() -> None:
    """The policy model names the detectors a checklist may use without importing the triage
    core; the two lists must not drift apart (a policy could name a detector that fails at
    decision time, or a new detector be refused by the validator)."""
    from supportdesk.core.policy.model import DETECTORS as NAMED
    from supportdesk.core.triage.detectors import DETECTORS

    assert set(DETECTORS) == NAMED
