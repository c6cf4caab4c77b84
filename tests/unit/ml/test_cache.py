from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supportdesk.ml.cache import CacheMismatchError, EmbeddingCache
from supportdesk.ml.embedder import MiniLMEmbedder
from tests.unit.ml.conftest import CountingEmbedder


def test_hit_avoids_re_embedding() -> None:
    fake = CountingEmbedder()
    cache = EmbeddingCache(fake.id, fake.dim)
    first = cache.embed(fake, ["a", "b", "a"])
    assert fake.calls == [["a", "b"]]  # duplicates within a batch embedded once
    second = cache.embed(fake, ["b", "c", "a"])
    assert fake.calls[-1] == ["c"]
    assert fake.texts_embedded == 3
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert (cache.hits, cache.misses) == (3, 3)
    cache.embed(fake, ["a", "b", "c"])
    assert fake.texts_embedded == 3  # a replay never reaches the embedder


def test_keyed_by_exact_text() -> None:
    fake = CountingEmbedder()
    cache = EmbeddingCache(fake.id, fake.dim)
    cache.embed(fake, ["Invoice 8812"])
    cache.embed(fake, ["invoice 8812", "Invoice 8812 "])
    assert fake.texts_embedded == 3


def test_save_load_round_trip_and_reproducible_file(tmp_path: Path) -> None:
    fake = CountingEmbedder()
    cache = EmbeddingCache(fake.id, fake.dim)
    vectors = cache.embed(fake, ["x", "y", "z"])
    cache.save(tmp_path / "c1.npz")
    cache.save(tmp_path / "c2.npz")
    assert (tmp_path / "c1.npz").read_bytes() == (tmp_path / "c2.npz").read_bytes()

    fresh_fake = CountingEmbedder()
    loaded = EmbeddingCache(fake.id, fake.dim)
    assert loaded.load(tmp_path / "c1.npz") == 3
    assert np.array_equal(loaded.embed(fresh_fake, ["z", "x"]), vectors[[2, 0]])
    assert fresh_fake.texts_embedded == 0


def test_refuses_other_embedders_vectors(tmp_path: Path) -> None:
    fake = CountingEmbedder()
    cache = EmbeddingCache(fake.id, fake.dim)
    cache.embed(fake, ["x"])
    cache.save(tmp_path / "c.npz")
    with pytest.raises(CacheMismatchError):
        EmbeddingCache("another-model", fake.dim).load(tmp_path / "c.npz")
    with pytest.raises(CacheMismatchError):
        EmbeddingCache("another-model", fake.dim).embed(fake, ["x"])


def test_bounded_cache_drops_oldest() -> None:
    fake = CountingEmbedder()
    cache = EmbeddingCache(fake.id, fake.dim, max_entries=2)
    cache.embed(fake, ["a", "b", "c"])
    assert len(cache) == 2 and "a" not in cache and "c" in cache


def test_real_embedder_through_cache(embedder: MiniLMEmbedder) -> None:
    cache = EmbeddingCache(embedder.id, embedder.dim)
    before = embedder.texts_embedded
    a = cache.embed(embedder, ["Slack integration stopped posting"])
    b = cache.embed(embedder, ["Slack integration stopped posting"])
    assert embedder.texts_embedded == before + 1
    assert np.array_equal(a, b)


def test_corrupt_cache_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "c.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CacheMismatchError, match="not an embedding cache"):
        EmbeddingCache("x", 8).load(bad)


def test_concurrent_use_with_eviction() -> None:
    import threading

    fake = CountingEmbedder()
    cache = EmbeddingCache(fake.id, fake.dim, max_entries=5)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(200):
                texts = [f"t{(i + offset + j) % 17}" for j in range(4)]
                assert cache.embed(fake, texts).shape == (4, 8)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) <= 5
