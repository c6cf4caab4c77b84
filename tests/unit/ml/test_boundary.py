"""The request-boundary head: its features, its training labels, and the shipped model's port."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from supportdesk.core.policy import load_policy
from supportdesk.ml import boundary
from supportdesk.ml.corpus import load_corpus
from supportdesk.ml.embedder import MiniLMEmbedder, ModelAssetError
from supportdesk.ml.head import SoftmaxHead
from supportdesk.ml.model import BOUNDARY_MAX_SENTENCES, EmbeddingTextModel, HeadBundle
from supportdesk.ml.train import _boundary_label, train
from tests.unit.ml.conftest import FIXTURE_CORPUS

SENTENCES = [
    "The Salesforce connector returns 500 on every sync.",
    "It started on Monday.",
    "Also, why were we charged twice in May?",
]
C = 7


def _probs(rows: list[int]) -> np.ndarray:
    """Side probabilities that put most of each row's mass on the given category."""
    out = np.full((len(rows), C), 0.02)
    for i, c in enumerate(rows):
        out[i, c] = 1.0 - 0.02 * (C - 1)
    return out


def test_side_texts_are_the_prefixes_then_the_suffixes() -> None:
    assert boundary.side_texts(["a.", "b.", "c."]) == ["a.", "a. b.", "a. b. c.", "b. c.", "c."]


def test_one_feature_row_per_boundary_of_the_documented_width() -> None:
    # prefixes: tech, tech, mixed whole (billing); suffixes: billing, billing
    x = boundary.features(SENTENCES, _probs([0, 0, 1, 1, 1]), 0.6)
    assert x.shape == (2, boundary.feature_dim(C))
    assert np.isfinite(x).all()
    # the sides' probabilities come first, in order: before, after, their difference
    assert x[1, :C].argmax() == 0 and x[1, C : 2 * C].argmax() == 1
    assert x[1, 2 * C : 3 * C] == pytest.approx(np.abs(x[1, :C] - x[1, C : 2 * C]))
    # the next sentence's opening words are hashed into the row: the two boundaries differ
    opening = slice(3 * C + 10, 3 * C + 10 + boundary.OPENING_BUCKETS)
    assert x[0, opening].sum() == 2 and x[1, opening].sum() == 2
    assert not np.array_equal(x[0, opening], x[1, opening])


def test_a_disagreeing_boundary_reads_apart_from_an_agreeing_one() -> None:
    probs = _probs([0, 0, 0, 1, 1])
    probs[2] = [0.45, 0.45, 0.02, 0.02, 0.02, 0.02, 0.02]  # the whole message reads as either
    x = boundary.features(SENTENCES, probs, 0.5)
    divergence, gain, differ = x[:, 3 * C], x[:, 3 * C + 1], x[:, 3 * C + 2]
    # both boundaries: the text before reads technical, the text after billing
    assert differ.tolist() == [1.0, 1.0]
    assert (divergence > 0.5).all() and (gain > 0).all()
    same = boundary.features(SENTENCES, _probs([0, 0, 0, 0, 0]), 0.5)
    assert same[:, 3 * C + 2].tolist() == [0.0, 0.0]
    assert (same[:, 3 * C] < 1e-4).all() and (same[:, 3 * C + 1] < 0).all()


def test_features_refuse_one_sentence_or_the_wrong_number_of_rows() -> None:
    with pytest.raises(ValueError, match="two sentences"):
        boundary.features(SENTENCES[:1], _probs([0]), 0.5)
    with pytest.raises(ValueError, match="need 5 rows"):
        boundary.features(SENTENCES, _probs([0, 0, 0]), 0.5)


def test_the_training_boundary_is_where_the_two_categories_meet() -> None:
    # prefixes tech, tech, (whole); suffixes: tech+billing (reads tech), billing
    probs = _probs([0, 0, 1, 0, 1])
    assert boundary.boundary_of(probs, 3, 0, 1) == 1
    probs = _probs([0, 1, 1, 1, 1])
    assert boundary.boundary_of(probs, 3, 0, 1) == 0


def test_a_line_teaches_a_boundary_only_with_two_requests_of_different_categories() -> None:
    items = {it.id: it for it in load_corpus(FIXTURE_CORPUS).items}
    single = next(it for it in items.values() if it.single_request)
    assert _boundary_label(single, _probs([0, 0, 0, 0, 0]), 3) == -1
    multi = next(it for it in items.values() if not it.single_request)
    first, second = (r["category"] for r in multi.requests)
    assert first != second
    same = replace(multi, expected={**multi.expected, "requests": [multi.requests[0]] * 2})
    assert _boundary_label(same, _probs([0, 0, 0, 0, 0]), 3) is None
    three = replace(multi, expected={**multi.expected, "requests": multi.requests * 2})
    assert _boundary_label(three, _probs([0, 0, 0, 0, 0]), 3) is None


def test_the_boundary_head_is_saved_and_read_without_embedding(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, tmp_path / "h.npz", embedder=embedder, baseline=False)
    assert bundle.boundary is not None
    loaded = HeadBundle.load(tmp_path / "h.npz")
    assert loaded.boundary is not None and loaded.lexical is not None
    assert loaded.boundary.classes == boundary.BOUNDARY_CLASSES
    model = EmbeddingTextModel(embedder, loaded)
    before = embedder.texts_embedded
    got = model.request_boundaries(SENTENCES)
    assert embedder.texts_embedded == before
    assert got is not None and len(got) == len(SENTENCES) - 1
    assert all(0.0 <= p <= 1.0 for p in got)
    # the same as the head reading the documented features of the lexical heads' answers
    cat, _, requests = loaded.lexical.all_probas(boundary.side_texts(SENTENCES))
    assert requests is not None
    x = boundary.features(SENTENCES, cat, float(requests[len(SENTENCES) - 1, 1]))
    assert got == pytest.approx(loaded.boundary.predict_proba(x)[:, 1].tolist(), abs=1e-5)
    assert model.request_boundaries(SENTENCES[:1]) is None
    # a message of very many sentences gets no opinion (the sides' text grows with its square)
    many = [f"Sentence number {i} of a very long message." for i in range(BOUNDARY_MAX_SENTENCES)]
    assert model.request_boundaries(many) is not None
    assert model.request_boundaries([*many, "One more."]) is None
    # asked again (a policy replay), the model answers from memory: no lexical row is recomputed
    model._lexical_known.clear()
    assert model.request_boundaries(SENTENCES) == got
    assert len(model._lexical_known) == 0
    # the core's sentences of a message are what the model is asked about
    policy = load_policy()
    assert len(policy.splitting.boundary.clauses.patterns) >= 1  # type: ignore[union-attr]


def test_a_head_file_without_a_boundary_head_has_no_opinion(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, None, embedder=embedder, baseline=False)
    replace(bundle, boundary=None).save(tmp_path / "old.npz")
    with np.load(tmp_path / "old.npz") as data:
        assert not any(name.startswith("boundary") for name in data.files)
    model = EmbeddingTextModel(embedder, HeadBundle.load(tmp_path / "old.npz"))
    assert model.request_boundaries(SENTENCES) is None


def test_a_boundary_head_that_does_not_fit_the_lexical_heads_is_refused(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, None, embedder=embedder, baseline=False)
    assert bundle.boundary is not None and bundle.lexical is not None
    narrow = SoftmaxHead(
        classes=bundle.boundary.classes,
        mean=bundle.boundary.mean[:-1],
        scale=bundle.boundary.scale[:-1],
        weights=bundle.boundary.weights[:-1],
        bias=bundle.boundary.bias,
    )
    replace(bundle, boundary=narrow).save(tmp_path / "narrow.npz")
    with pytest.raises(ModelAssetError, match="boundary head does not fit"):
        HeadBundle.load(tmp_path / "narrow.npz")
    no_count = replace(bundle, lexical=replace(bundle.lexical, requests=None))
    no_count.save(tmp_path / "no-count.npz")
    with pytest.raises(ModelAssetError, match="boundary head does not fit"):
        HeadBundle.load(tmp_path / "no-count.npz")
