"""Gated `finditer`/`sub` over a pattern list give exactly what the plain `re` loop gives.

`Patterns.finditer_each` and `Patterns.sub_each` skip a pattern whose literals (those of its
positive look-arounds included) are not in the text. Checked for every pattern list of the
shipped policy (markers, pleasantries, severity, routes, checklists) and a hand-made list of
look-around corners, over texts built from the patterns' literals with case and Unicode oddities
(İ ı ſ K fold to ASCII letters under IGNORECASE; İ grows when lower-cased).
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.core.policy import load_policy
from supportdesk.core.policy.model import Patterns, Policy, foldable, required_literals
from tests.unit.policy.test_literal_gates import fragments, matching

LOOKAROUNDS = Patterns(
    patterns=(
        r"(?=.*invoice)refund",
        r"(?<=order )#\d+",
        r"\bbest(?=\s*(?:,|\n|$))",
        r"(?<!not )\bworks?\b(?!\s+badly)",
        r"(?:x(?=yz)|q)\w",
        r"(?:ab(?=cd))?e",
        r"(?=(?:also|plus)\b\s+(?:we|i))",
        r"(?:^|\s)(?=\(?[1-9]\)\s|#[1-9]\b)",
        r"(?i:sk)(?=ip)",
        r"[.!?]\s+(?=[A-Z][^.!?\n]{0,20}?\b(?:also|too)\b)",
        r"(?=k)\w+",
        r"(?<=ſt)op",
        r"",
    )
)

EXTRA = ["İ", "ı", "ſ", "K", "I", "S", "K", "\n\n", " - ", "1) ", "#2 ", "(a) ", "• x"]


def policy_lists(policy: Policy) -> dict[str, Patterns]:
    out: dict[str, Patterns] = {}

    def add(name: str, p: Patterns | None) -> None:
        if p is not None and p.patterns:
            out[name] = p

    add("markers", policy.splitting.markers)
    add("pleasantries", policy.splitting.pleasantries)
    add("severity_impact", policy.severity_impact)
    add("severity_workaround", policy.severity_workaround)
    for cname, cat in policy.categories.items():
        for route in cat.routes:
            add(f"route:{cname}:{route.rule}", route.when)
    for cl in policy.checklists:
        add(f"checklist:{cl.id}:applies_when", cl.applies_when)
        for item in cl.items:
            add(f"checklist:{cl.id}:{item.id}:patterns", item.patterns)
            add(f"checklist:{cl.id}:{item.id}:only_when", item.only_when)
            add(f"checklist:{cl.id}:{item.id}:not_when", item.not_when)
    return out


LISTS = {**policy_lists(load_policy()), "lookarounds": LOOKAROUNDS}


def list_fragments(patterns: Patterns) -> list[str]:
    out = set(EXTRA)
    for p in patterns.patterns:
        out.update(fragments(p))
        for clause in required_literals(p, fold=True, lookaround=True):
            for s in clause:
                out.update((s, s.upper(), s.title()))
    return sorted(out)


@st.composite
def text_for(draw: st.DrawFn, patterns: Patterns) -> str:
    pool = list_fragments(patterns)
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(pool),
                st.text(max_size=4),
                st.sampled_from(patterns.patterns).flatmap(matching),
            ),
            max_size=10,
        )
    )
    seps = draw(
        st.lists(st.sampled_from(["", " ", "\n", ", ", ". ", "\n\n"]), min_size=len(pieces))
    )
    text = "".join(p + s for p, s in zip(pieces, seps, strict=False))
    if draw(st.booleans()):
        text = text.upper() if draw(st.booleans()) else text.swapcase()
    return text


def plain_finditer(patterns: Patterns, text: str) -> list[tuple[object, ...]]:
    return [
        (m.re.pattern, m.span(), m.groups()) for rx in patterns.compiled for m in rx.finditer(text)
    ]


def plain_sub(patterns: Patterns, repl: str, text: str) -> str:
    for rx in patterns.compiled:
        text = rx.sub(repl, text)
    return text


def gated_finditer(patterns: Patterns, text: str, lowered: str | None) -> list[tuple[object, ...]]:
    return [(m.re.pattern, m.span(), m.groups()) for m in patterns.finditer_each(text, lowered)]


def check(patterns: Patterns, text: str) -> None:
    want = plain_finditer(patterns, text)
    assert gated_finditer(patterns, text, None) == want
    assert gated_finditer(patterns, text, text.lower()) == want
    for repl in (" ", ""):
        assert patterns.sub_each(repl, text) == plain_sub(patterns, repl, text)
    # the gate itself: a pattern that matches leaves its look-around literals in the text
    if foldable(text):
        low = text.lower()
        for p, rx in zip(patterns.patterns, patterns.compiled, strict=True):
            if rx.search(text) is not None:
                for clause in required_literals(p, fold=True, lookaround=True):
                    assert any(s in low for s in clause), (p, text, clause)


@pytest.mark.parametrize("name", sorted(LISTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_gated_finditer_and_sub_are_the_plain_loops(name: str, data: st.DataObject) -> None:
    patterns = LISTS[name]
    check(patterns, data.draw(text_for(patterns)))


AWKWARD = [
    "",
    "Hi,\n\nthanks in advance!\n\nBest,\nAna",
    "BEST,\nANA",
    "Two questions: 1) the SSO login fails 2) can we get a copy of invoice #4411?",
    "The sync fails. Also, we'd like a refund for May.",
    "The sync fails; also we need more seats. PS: thanks",
    "Refund please (see invoice) — and separately, we'd also like SSO.",
    "İnvoice refund. AlSO we need ſeats",  # İ: the text is not foldable, nothing is skipped
    "ſecond question: K-ey rotation. Another thing: refunds",
    "order #12, ORDER #13 and Order\n#14",
    "it works badly; it does not work; it works",
    "xyz qa xa abcde e",
    "Danke schön und viele Grüße, Mit freundlichen Grüßen",
    "Saludos cordiales; obrigada! grazie mille. Dank je wel",
    "- first\n- second\n• third\n\n* fourth",
    "Second thing: the API. Separately, could you check?",
    "We are blocked. Nous voudrions aussi un export. Wir möchten außerdem Zugriff.",
]


@pytest.mark.parametrize("name", sorted(LISTS))
def test_awkward_texts(name: str) -> None:
    patterns = LISTS[name]
    for text in AWKWARD:
        for variant in (text, text.upper(), text.lower(), text.swapcase()):
            check(patterns, variant)


def test_a_substitution_that_makes_a_literal_is_seen() -> None:
    """`sub_each` scans the text again after a pattern changed it: a later pattern may need a
    string the substitution just made."""
    patterns = Patterns(patterns=(r"[-–]+", r"\bthank you\b"))
    assert patterns.sub_each(" ", "thank-you") == plain_sub(patterns, " ", "thank-you") == " "


def test_look_around_literals() -> None:
    assert required_literals(r"(?=.*invoice)refund") == (frozenset({"refund"}),)
    assert set(required_literals(r"(?=.*invoice)refund", lookaround=True)) == {
        frozenset({"refund"}),
        frozenset({"invoice"}),
    }
    assert set(required_literals(r"(?<=order )#\d+", lookaround=True)) == {
        frozenset({"order "}),
        frozenset({"#"}),
    }
    # negative look-arounds, optional and one-alternative look-aheads are never read
    assert required_literals(r"(?!.*invoice)refund", lookaround=True) == (frozenset({"refund"}),)
    assert required_literals(r"(?<!invoice )\d+", lookaround=True) == ()
    assert required_literals(r"(?:ab(?=cd))?e", lookaround=True) == ()
    assert required_literals(r"(?:x(?=yz)|q)\w", lookaround=True) == ()
    assert required_literals(r"(?:x(?=yz)){1,2}\w", lookaround=True) == (frozenset({"yz"}),)
    # a branch whose alternatives each need a look-ahead string
    assert required_literals(r"(?:\d(?=abc)|\s(?=def))", lookaround=True) == (
        frozenset({"abc", "def"}),
    )
    # IGNORECASE turned on inside: read only for the fold gate
    assert required_literals(r"x(?=(?i:skip))", lookaround=True) == ()
    assert required_literals(r"x(?=(?i:skip))", fold=True, lookaround=True) == (
        frozenset({"skip"}),
    )


@pytest.mark.skipif(sys.maxunicode < 0x10FFFF, reason="narrow build")
def test_foldable_knows_every_character_that_folds_to_ascii() -> None:
    """Only İ ı ſ K match an ASCII letter under IGNORECASE, and only İ lower-cases to more than
    one character: any other text keeps its ASCII letters, lower-cased, in place."""
    letters = re.compile("[a-z]", re.IGNORECASE)
    for code in range(0x80, sys.maxunicode + 1):
        ch = chr(code)
        if letters.match(ch) or len(ch.lower()) != 1 or ch.lower().isascii():
            assert not foldable(ch), hex(code)


def test_a_new_pattern_list_is_gated_right_on_its_very_first_call() -> None:
    # Literals no other test registers: the shared literal index has never seen them, so the
    # first call must register them before it scans (it once scanned first and skipped them).
    fresh = Patterns(patterns=(r"\bqzxvbfirst\b", r"(?=\bqzxvblook\b)"))
    assert [m.group() for m in fresh.finditer_each("see qzxvbfirst here")] == ["qzxvbfirst"]
    other = Patterns(patterns=(r"\bqzxvbsecond\b",))
    assert other.sub_each("_", "a qzxvbsecond b") == "a _ b"
