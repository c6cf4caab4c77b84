from __future__ import annotations

from pathlib import Path

import pytest

from supportdesk.core.triage.ports import TextModel, TextSignals
from supportdesk.ml.cache import EmbeddingCache
from supportdesk.ml.embedder import MiniLMEmbedder, ModelAssetError
from supportdesk.ml.model import EmbeddingTextModel, HeadBundle, load_default_model
from supportdesk.ml.train import train
from tests.unit.ml.conftest import FIXTURE_CORPUS


@pytest.fixture(scope="module")
def heads(embedder: MiniLMEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("head") / "head.npz"
    train(FIXTURE_CORPUS, path, embedder=embedder, baseline=False)
    return path


def test_implements_the_port(embedder: MiniLMEmbedder, heads: Path) -> None:
    model: TextModel = EmbeddingTextModel(embedder, HeadBundle.load(heads))
    signals = model.predict(["We were charged twice on invoice 4411.", "How do I add a tenant?"])
    assert all(isinstance(s, TextSignals) for s in signals)
    for s in signals:
        assert set(s.severity) == {1, 2, 3}
        assert abs(sum(s.category.values()) - 1.0) < 1e-4
        assert abs(sum(s.severity.values()) - 1.0) < 1e-4
    assert signals[0].best_category()[0] == "billing"
    assert model.predict([]) == []
    assert model.name.startswith("all-MiniLM-L6-v2-onnx-int8")


def test_threshold_is_exposed(embedder: MiniLMEmbedder, heads: Path) -> None:
    bundle = HeadBundle.load(heads)
    model = EmbeddingTextModel(embedder, bundle)
    assert getattr(model, "confidence_threshold", None) == bundle.confidence_threshold


def test_predict_uses_the_cache(embedder: MiniLMEmbedder, heads: Path) -> None:
    model = EmbeddingTextModel(embedder, HeadBundle.load(heads))
    before = embedder.texts_embedded
    first = model.predict(["Slack webhook stopped firing"])
    second = model.predict(["Slack webhook stopped firing"])
    assert embedder.texts_embedded == before + 1
    assert first == second


def test_knows_says_whether_predict_would_run_the_network(
    embedder: MiniLMEmbedder, heads: Path
) -> None:
    model = EmbeddingTextModel(embedder, HeadBundle.load(heads))
    texts = ["SCIM push fails for one tenant", "Where is the invoice for May?"]
    assert not model.knows(texts)
    model.predict(texts[:1])
    assert model.knows(texts[:1]) and not model.knows(texts)
    before = embedder.texts_embedded
    model.predict(texts[:1])
    assert embedder.texts_embedded == before
    model.predict(texts)
    assert model.knows(texts) and model.knows([])


def test_load_default_model_with_explicit_head(heads: Path) -> None:
    model = load_default_model(heads)
    assert model.heads.embedder_id == model.embedder.id


def test_missing_head_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelAssetError, match="supportdesk model train"):
        load_default_model(tmp_path / "nope.npz")


def test_corrupt_head_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "head.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelAssetError):
        HeadBundle.load(bad)


def test_uses_the_cache_it_is_given(embedder: MiniLMEmbedder, heads: Path) -> None:
    cache = EmbeddingCache(embedder.id, embedder.dim)
    model = EmbeddingTextModel(embedder, HeadBundle.load(heads), cache=cache)
    model.predict(["Teams bot stopped answering"])
    assert model.cache is cache and len(cache) == 1


def test_truncated_head_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "head.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelAssetError):
        HeadBundle.load(bad)
