"""The shipped model's quick signals: the lexical head alone, no embedding."""

from __future__ import annotations

import numpy as np

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage
from supportdesk.ml.model import load_default_model
from tests.unit.triage.helpers import NOW, ticket


def test_quick_signals_are_the_lexical_heads_own_and_embed_nothing() -> None:
    model = load_default_model()
    texts = ["Why did our credits drop overnight?", "Please refund invoice 4471."]
    before = model.embedder.texts_embedded
    quick = model.predict_quick(texts)
    assert model.embedder.texts_embedded == before
    assert model.heads.lexical is not None
    expected = model.heads.lexical.probas(texts)[0]
    names = model.heads.lexical.category.classes
    for sig, row in zip(quick, expected, strict=True):
        assert sig.severity == {}
        assert np.allclose([sig.category[c] for c in names], row)
        assert abs(sum(sig.category.values()) - 1.0) < 1e-6
    assert model.predict_quick([]) == []


def test_the_shipped_model_cuts_a_usage_question_from_a_charge_without_a_marker() -> None:
    text = (
        "Our credits for Fernhill Dental dropped from 25,000 to 3,000 over the weekend and nobody "
        "there ran anything unusual. The card payment taken on the 2nd is $480 higher than the "
        "May invoice we were sent."
    )
    d = triage(ticket(text), load_policy(), NOW, load_default_model())
    assert [(r.category, r.queue) for r in d.requests] == [
        ("credits_usage", "usage"),
        ("billing", "billing"),
    ]
    assert any("no marker between them" in r.detail for r in d.reasons if r.rule == "split.mixed")
