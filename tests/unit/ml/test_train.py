from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from supportdesk.ml.baseline import HashedTfidf
from supportdesk.ml.cache import EmbeddingCache
from supportdesk.ml.corpus import is_test, load_corpus, select, single_request
from supportdesk.ml.embedder import MiniLMEmbedder
from supportdesk.ml.model import REQUEST_COUNTS, EmbeddingTextModel, HeadBundle
from supportdesk.ml.train import (
    LEXICAL_SEVERITY_WEIGHT,
    LEXICAL_WEIGHT,
    stable,
    train,
    training_items,
    tune_threshold,
)
from tests.unit.ml.conftest import FIXTURE_CORPUS


def test_same_corpus_gives_byte_identical_head(embedder: MiniLMEmbedder, tmp_path: Path) -> None:
    train(FIXTURE_CORPUS, tmp_path / "one.npz", embedder=embedder, baseline=False)
    train(FIXTURE_CORPUS, tmp_path / "two.npz", embedder=embedder, baseline=False)
    one, two = (tmp_path / "one.npz").read_bytes(), (tmp_path / "two.npz").read_bytes()
    assert one == two
    assert len(one) < 1_000_000  # the TF-IDF head's 65,536 x 7 weights are most of it


def test_head_file_records_provenance(embedder: MiniLMEmbedder, tmp_path: Path) -> None:
    bundle, report = train(FIXTURE_CORPUS, tmp_path / "h.npz", embedder=embedder, baseline=True)
    loaded = HeadBundle.load(tmp_path / "h.npz")
    assert loaded.corpus_sha256 == report.corpus_sha256 == bundle.corpus_sha256
    assert loaded.embedder_id == embedder.id
    assert loaded.confidence_threshold == report.threshold
    assert loaded.category.classes == (
        "credits_usage",
        "billing",
        "technical",
        "access",
        "integration",
        "setup",
        "enablement",
    )
    assert report.multi_skipped == 1 and len(report.bad_lines) == 2
    assert report.train + report.test == report.single + report.segments
    assert set(report.test_scores) == {"embedding", "baseline", "shipped", "requests"}
    # the request-count head reads every held-out line, single- and multi-request alike
    held_out = select(load_corpus(FIXTURE_CORPUS).items, "test")
    assert report.test_scores["requests"]["all"].total == len(held_out)
    assert any("request count" in line for line in report.render())


def test_nothing_from_the_test_part_reaches_the_head(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    """Scramble every held-out line (text and labels): heads and threshold must not move."""
    lines = (FIXTURE_CORPUS / "tiny.jsonl").read_text().splitlines()
    changed = 0
    out = []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            out.append(line)
            continue
        if is_test(row["id"]):  # a test line's parts never train either
            row["description"] = "Completely different words about nothing in particular."
            req = row["expected"]["requests"][0]
            req["category"] = "enablement" if req["category"] != "enablement" else "billing"
            req["severity"] = 1
            changed += 1
        out.append(json.dumps(row))
    assert changed >= 3
    scrambled = tmp_path / "scrambled"
    scrambled.mkdir()
    (scrambled / "tiny.jsonl").write_text("\n".join(out) + "\n")

    original, rep_a = train(FIXTURE_CORPUS, None, embedder=embedder, baseline=False)
    other, rep_b = train(scrambled, None, embedder=embedder, baseline=False)
    assert original.corpus_sha256 != other.corpus_sha256
    assert original.confidence_threshold == other.confidence_threshold
    for head in ("category", "severity"):
        a, b = getattr(original, head), getattr(other, head)
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
    assert rep_a.test_scores["embedding"]["category"].correct != (
        rep_b.test_scores["embedding"]["category"].correct
    )


def test_tune_threshold_picks_lowest_threshold_meeting_target() -> None:
    conf = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6]
    ok = [True, True, True, True, False, True]
    assert tune_threshold(conf, ok, target=1.0, min_accepted=1) == 0.8
    assert tune_threshold(conf, ok, target=0.8, min_accepted=1) == 0.6
    assert tune_threshold(conf, ok, target=1.0, min_accepted=5) == 1.0  # never enough accepted


def test_tune_threshold_treats_ties_together() -> None:
    # at 0.9 both tied items are accepted, one of them wrong
    assert tune_threshold([0.95, 0.9, 0.9], [True, True, False], target=1.0, min_accepted=1) == 0.95


def test_tune_threshold_checks_lengths() -> None:
    with pytest.raises(ValueError):
        tune_threshold([0.5], [True, False])


def test_training_fills_and_reuses_the_given_cache(embedder: MiniLMEmbedder) -> None:
    cache = EmbeddingCache(embedder.id, embedder.dim)  # empty, hence falsy: must still be used
    train(FIXTURE_CORPUS, None, embedder=embedder, cache=cache, baseline=False)
    # 34 single-request lines and the two parts of the two-request one, then what the split
    # check's out-of-fold triage read (pieces and whole texts of the training lines)
    corpus = load_corpus(FIXTURE_CORPUS)
    texts = [it.text for it in training_items(corpus.items)]
    texts += [it.text for it in select(single_request(corpus.items), "test")]
    assert len(set(texts)) == 36 and all(t in cache for t in texts)
    before = embedder.texts_embedded
    train(FIXTURE_CORPUS, None, embedder=embedder, cache=cache, baseline=False)
    assert embedder.texts_embedded == before


def test_the_lexical_head_is_saved_and_mixed_into_the_categories(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, tmp_path / "h.npz", embedder=embedder, baseline=False)
    loaded = HeadBundle.load(tmp_path / "h.npz")
    assert bundle.lexical is not None and loaded.lexical is not None
    assert loaded.lexical.weight == LEXICAL_WEIGHT
    assert np.array_equal(loaded.lexical.idf, bundle.lexical.idf)
    texts = ["why did our credits drain overnight", "the invoice has a duplicate seat line"]
    model = EmbeddingTextModel(embedder, loaded)
    got = [[s.category[c] for c in loaded.category.classes] for s in model.predict(texts)]
    emb = loaded.category.predict_proba(embedder.embed(texts))
    lexical = loaded.lexical.category.predict_proba(_tfidf(loaded, texts))
    _assert_mixed(got, emb, lexical, LEXICAL_WEIGHT)
    assert "+tfidf@" in model.name


def _tfidf(bundle: HeadBundle, texts: list[str]) -> np.ndarray:
    assert bundle.lexical is not None
    return HashedTfidf.fitted(bundle.lexical.idf).transform(texts)


def _assert_mixed(
    got: list[list[float]], embedding: np.ndarray, lexical: np.ndarray, weight: float
) -> None:
    """Each row of `got` is embedding^(1-weight) · lexical^weight, normalised."""
    expected = embedding ** (1 - weight) * lexical**weight
    expected /= expected.sum(axis=1, keepdims=True)
    for row, want in zip(got, expected, strict=True):
        assert row == pytest.approx(want.tolist(), abs=1e-5)


def test_the_lexical_severity_head_is_saved_and_mixed_into_the_severities(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    train(FIXTURE_CORPUS, tmp_path / "h.npz", embedder=embedder, baseline=False)
    loaded = HeadBundle.load(tmp_path / "h.npz")
    assert loaded.lexical is not None and loaded.lexical.severity is not None
    assert loaded.lexical.severity_weight == LEXICAL_SEVERITY_WEIGHT > 0
    texts = ["nobody in any tenant can sign in", "how do I add a second admin"]
    model = EmbeddingTextModel(embedder, loaded)
    levels = [int(s) for s in loaded.severity.classes]
    got = [[s.severity[level] for level in levels] for s in model.predict(texts)]
    emb = loaded.severity.predict_proba(embedder.embed(texts))
    lexical = loaded.lexical.severity.predict_proba(_tfidf(loaded, texts))
    _assert_mixed(got, emb, lexical, LEXICAL_SEVERITY_WEIGHT)
    # the quick signals stay the lexical category head's own
    (quick,) = model.predict_quick(texts[:1])
    assert set(quick.category) == set(loaded.category.classes) and not quick.severity


def test_a_head_file_without_a_lexical_severity_head_keeps_the_embedding_severity(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, None, embedder=embedder, baseline=False)
    assert bundle.lexical is not None
    older = HeadBundle(
        bundle.category,
        bundle.severity,
        bundle.confidence_threshold,
        bundle.corpus_sha256,
        bundle.embedder_id,
        type(bundle.lexical)(bundle.lexical.idf, bundle.lexical.category, bundle.lexical.weight),
    )
    older.save(tmp_path / "old.npz")
    with np.load(tmp_path / "old.npz") as data:
        assert not any(name.startswith("lexical_severity") for name in data.files)
    loaded = HeadBundle.load(tmp_path / "old.npz")
    assert loaded.lexical is not None and loaded.lexical.severity is None
    texts = ["nobody in any tenant can sign in"]
    (signals,) = EmbeddingTextModel(embedder, loaded).predict(texts)
    emb = loaded.severity.predict_proba(embedder.embed(texts))[0]
    assert [signals.severity[int(s)] for s in loaded.severity.classes] == pytest.approx(
        emb.tolist(), abs=1e-6
    )


def test_stable_threshold_absorbs_last_bit_noise_and_never_lowers() -> None:
    # two trainings read the same threshold off probabilities that differ in the last bit
    exact = 0.66812345
    noisy = [exact, np.nextafter(exact, 0.0), np.nextafter(exact, 1.0), exact + 6e-8]
    assert {stable(float(t)) for t in noisy} == {0.6682}
    assert stable(0.668) == 0.668  # already on the grid: unchanged
    assert stable(1.0) == 1.0  # "never confident" stays so
    for t in (0.0001, 0.31, 0.5, 0.66812345, 0.99991):
        assert stable(t) >= t - 1e-9


def test_lexical_head_reads_sparse_rows_as_the_dense_features() -> None:
    texts = ["Invoice 4411 charged twice", "", "!!!", "Le connecteur échoue depuis lundi"]
    tfidf = HashedTfidf().fit(texts + ["credits drained overnight"])
    dense = tfidf.transform(texts)
    for row, (cols, vals) in zip(dense, tfidf.rows(texts), strict=True):
        assert np.count_nonzero(row) == len(cols)
        assert row[cols].tolist() == vals.tolist()
    assert dense[1].sum() == 0.0  # no n-gram at all: a zero row, not NaN
    assert np.linalg.norm(dense[0]) == pytest.approx(1.0, abs=1e-6)


def test_the_request_count_head_is_saved_and_read_without_embedding(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, tmp_path / "h.npz", embedder=embedder, baseline=False)
    loaded = HeadBundle.load(tmp_path / "h.npz")
    assert loaded.lexical is not None and loaded.lexical.requests is not None
    assert loaded.lexical.requests.classes == REQUEST_COUNTS
    texts = ["why did our credits drain overnight", "two things: a refund, and a new admin"]
    model = EmbeddingTextModel(embedder, loaded)
    before = embedder.texts_embedded
    got = model.several_requests(texts)
    assert embedder.texts_embedded == before
    want = loaded.lexical.requests.predict_proba(_tfidf(loaded, texts))[:, 1]
    assert got == pytest.approx(want.tolist(), abs=1e-5)
    assert model.several_requests([]) == []
    # the category and severity mixes do not read the request-count columns
    (signals,) = model.predict(texts[:1])
    assert sum(signals.severity.values()) == pytest.approx(1.0, abs=1e-5)
    assert len(signals.severity) == 3


def test_a_head_file_without_a_request_count_head_has_no_opinion(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    bundle, _ = train(FIXTURE_CORPUS, None, embedder=embedder, baseline=False)
    assert bundle.lexical is not None
    # a file from before the request-count head has no boundary head either (it reads the count)
    old = replace(bundle, lexical=replace(bundle.lexical, requests=None), boundary=None)
    old.save(tmp_path / "old.npz")
    with np.load(tmp_path / "old.npz") as data:
        assert not any(name.startswith("lexical_requests") for name in data.files)
    loaded = HeadBundle.load(tmp_path / "old.npz")
    assert loaded.lexical is not None and loaded.lexical.requests is None
    model = EmbeddingTextModel(embedder, loaded)
    assert model.several_requests(["a refund and a new admin"]) == [None]
    bundle.save(tmp_path / "new.npz")
    new = EmbeddingTextModel(embedder, HeadBundle.load(tmp_path / "new.npz"))
    text = ["nobody in any tenant can sign in"]
    # the new head changes no other signal (the wider sparse product may round the last bit)
    (old_signals,), (new_signals,) = model.predict(text), new.predict(text)
    assert old_signals.category == pytest.approx(new_signals.category, abs=1e-6)
    assert old_signals.severity == pytest.approx(new_signals.severity, abs=1e-6)
