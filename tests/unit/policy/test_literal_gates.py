"""The literal gates in front of the policy's patterns skip a regex only when it cannot match.

`Matcher.search` must return exactly what the ungated search returns: the fast pattern in the
lower-cased text when lower-casing keeps the length, else the IGNORECASE pattern in the text.
Checked for every pattern of the shipped policy (and of a few hand-made ones that exercise the
corners: inline flags, classes, repeats, look-arounds, back-references), over texts built from
the patterns' own literals mixed with case and Unicode oddities, so that matches do happen.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.core.policy import load_policy
from supportdesk.core.policy.model import (
    LITERALS,
    LiteralIndex,
    Matcher,
    Patterns,
    Policy,
    required_literals,
)

#: Corners the shipped policy may grow into.
HANDMADE = [
    r"(?-i:\b(GET|POST|PUT)\s+/)|/v\d+/\w+",
    r"(?i:refund)\s+now",
    r"(?i)credit card",
    r"\b(\d+)/\1 tenants\b",
    r"(?<!not )\bworks?\b(?!\s+badly)",
    r"inv(oice|-)?\s*#?\d{3,}",
    r"[A-C]x|\bstra(ss|ß)e\b",
    r"Xſ\d",  # IGNORECASE: matches "xs1"; str.lower leaves ſ alone
    r"\bcr[ée]dits?\b|\bΣ\w+",
    r"(ab|cd){2,3}ef",
    r"(?:x|y)?z{1,2}q|k",
    r"(?x) in  the \s+ meantime",
    r"^a|b$",
    r"(?=.*invoice)refund",
    r"(x)?(?(1)ab|cd)ef",
    r"",
]

ODDITIES = ["İ", "ſ", "K", "ß", "Σ", "é", "É", "ǅ", "\n", " ", "  ", ".", "'", "GET /", "#", "1"]


def policy_patterns(policy: Policy) -> list[str]:
    found: list[str] = []

    def add(p: Patterns | None) -> None:
        if p is not None:
            found.extend(p.patterns)

    for cat in policy.categories.values():
        found.extend(s.pattern for s in cat.signals)
        for route in cat.routes:
            add(route.when)
    for level in policy.severity.values():
        found.extend(s.pattern for s in level.signals)
    add(policy.severity_impact)
    add(policy.severity_workaround)
    add(policy.splitting.markers)
    add(policy.splitting.pleasantries)
    for cl in policy.checklists:
        add(cl.applies_when)
        for item in cl.items:
            add(item.patterns)
            add(item.only_when)
            add(item.not_when)
    return list(dict.fromkeys(found))


PATTERNS = policy_patterns(load_policy()) + HANDMADE


@cache
def fragments(pattern: str) -> list[str]:
    """Pieces a text near a match of `pattern` is made of: its literals, in both cases."""
    out = set(ODDITIES)
    for fold in (False, True):
        for clause in required_literals(pattern, fold):
            for s in clause:
                out.update((s, s.upper(), s.title(), s[:-1], s[1:]))
    for word in re.findall(r"[^\W\d_]{2,}|\d+", pattern):
        out.update((word, word.upper()))
    return sorted(out)


def ungated(m: Matcher, text: str) -> re.Match[str] | None:
    low = text.lower()
    if m.fast is not None and len(low) == len(text):
        return m.fast.search(low)
    return m.slow.search(text)


def same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.groups() == b.groups() and a.string == b.string


@cache
def matching(pattern: str) -> st.SearchStrategy[str]:
    """Texts holding a match of the IGNORECASE pattern, where Hypothesis can make them."""
    try:
        strategy = st.from_regex(re.compile(pattern, re.IGNORECASE | re.MULTILINE))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            strategy.example()
    except Exception:  # a construct from_regex does not generate (e.g. a conditional group)
        return st.just("")
    return strategy


@st.composite
def text_for(draw: st.DrawFn, pattern: str) -> str:
    """Its literals (in any case), bits of real matches, and Unicode oddities."""
    pieces = draw(
        st.lists(
            st.one_of(st.sampled_from(fragments(pattern)), st.text(max_size=4), matching(pattern)),
            max_size=8,
        )
    )
    seps = draw(st.lists(st.sampled_from(["", " ", "\n", ", "]), min_size=len(pieces)))
    text = "".join(p + s for p, s in zip(pieces, seps, strict=False))
    if draw(st.booleans()):
        text = text.upper() if draw(st.booleans()) else text.swapcase()
    return text


def holds(clauses: tuple[frozenset[str], ...], consumed: str) -> bool:
    return all(any(s in consumed for s in clause) for clause in clauses)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_gated_search_is_the_plain_search(pattern: str, data: st.DataObject) -> None:
    text = data.draw(text_for(pattern))
    m = Matcher(pattern)
    want = ungated(m, text)
    assert same(m.search(text), want)
    assert same(m.search(text, text.lower()), want)
    # sharper than the gate: each clause is met inside the match itself
    fast = m.fast.search(text.lower()) if m.fast is not None else None
    if fast is not None:
        assert holds(required_literals(pattern), fast.group(0))
    slow = m.slow.search(text) if text.isascii() else None
    if slow is not None:
        assert holds(required_literals(pattern, fold=True), slow.group(0).lower())


def test_every_policy_pattern_on_the_corpus_texts() -> None:
    """Each shipped pattern on sentences where it does match (and where it does not)."""
    texts = [
        "Our invoice INV-2231 was charged twice; please refund.",
        "All of our tenants are down since 9:00 and nobody can log in",
        "The phone agent logged 90 minutes but the credits dropped",
        "Retrying it always works, so it is an annoyance rather than blocking",
        "GET /v2/runs returns 403 for every call",
        "İstanbul office: crédits épuisés, la facture du 3 mars",
        "Hi,\n\nthanks in advance!\n\nBest,\nAna",
        "xs1 and XS2 on the STRASSE, k/K",
        "",
    ]
    for pattern in PATTERNS:
        m = Matcher(pattern)
        for text in texts:
            assert same(m.search(text), ungated(m, text)), (pattern, text)


@given(st.lists(st.text(min_size=2, max_size=4), min_size=1, max_size=30), st.text(max_size=60))
def test_the_scan_finds_exactly_the_clauses_present(words: list[str], noise: str) -> None:
    index = LiteralIndex()
    clauses = [frozenset(words[i : i + 3]) for i in range(0, len(words), 3)]
    bits = [index.gate((c,)) for c in clauses]
    text = noise.join(words[::2])
    found = index.found(text)
    for clause, bit in zip(clauses, bits, strict=True):
        assert bool(found & bit) == any(s in text for s in clause)


def test_a_new_pattern_after_a_scan_is_still_gated_right() -> None:
    """The automaton is rebuilt when a matcher brings new strings: no stale answers."""
    text = "zqxw-unlikely-literal-zqxw appears here"
    assert Matcher(r"\bnothing-here-at-all\b").search(text) is None
    late = Matcher(r"zqxw-unlikely-literal-zqxw")
    assert late.gate and LITERALS.found(text) & late.gate == late.gate
    assert late.search(text) is not None


def test_required_literals_of_typical_patterns() -> None:
    assert required_literals(r"\binv(oice|-)\d+") == (frozenset({"invoice", "inv-"}),)
    assert required_literals(r"\bcredits?\b(?!\s*card)") == (frozenset({"credit"}),)
    assert required_literals(r"(?i:refund)") == ()  # case folds differently from str.lower
    assert required_literals(r"(?i:refund)", fold=True) == (frozenset({"refund"}),)
    assert required_literals(r"\bK") == ()  # one character gates nothing
    assert set(required_literals(r"\b(usage|credits?)\b.{0,40}\b(doubled|tripled)\b")) == {
        frozenset({"usage", "credit"}),
        frozenset({"doubled", "tripled"}),
    }


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\x41bc", "Abc"),  # a capital spelled as an escape
        (r"\u0041bc", "ABC"),
        (r"\N{LATIN CAPITAL LETTER A}bc", "abc"),
        (r"\101bc", "Abc"),  # octal
        (r"(?-i:abc)", "ABC"),  # case-insensitivity turned off: must not match
        (r"(?-i:abc)", "xabc"),
        (r"(a)\1", "aA"),  # a back-reference compares case-insensitively
        (r"\bcredit", "Credit balance"),
    ],
)
def test_matcher_search_equals_the_case_insensitive_pattern(pattern: str, text: str) -> None:
    m = Matcher(pattern)
    assert bool(m.search(text)) == bool(m.slow.search(text))
