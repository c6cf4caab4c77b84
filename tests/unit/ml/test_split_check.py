"""The split check head (`ml/split_check.py`): its features, its training on the splits the
triage proposes out of fold, and its place in the head file."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import split
from supportdesk.ml import split_check
from supportdesk.ml.embedder import MiniLMEmbedder, ModelAssetError
from supportdesk.ml.head import SoftmaxHead
from supportdesk.ml.model import EmbeddingTextModel, HeadBundle
from supportdesk.ml.train import train

ROOT = Path(__file__).resolve().parents[3]
#: Two corpus parts with two-request lines and one-request lines that look like two: enough for
#: the cascade to propose splits that hold and splits that do not, in every fold.
PARTS = ("part-e.jsonl", "part-zzd.jsonl")
WHOLE = (
    "Usage and invoice\nWhy did tenant Larkspur burn 40,000 credits on 3 March? "
    "Separately, why were we charged twice on invoice 8812?"
)
PARTS_OF_WHOLE = [
    "Usage and invoice\nWhy did tenant Larkspur burn 40,000 credits on 3 March?",
    "Separately, why were we charged twice on invoice 8812?",
]


def _row(how: str = "markers", boundaries: list[float] | None = None) -> np.ndarray:
    whole = np.array([0.5, 0.3, 0.2])
    parts = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05]])
    return split_check.features(how, 0.8, boundaries, 3, whole, parts, [12, 9], 21)


def test_features_have_the_documented_width_and_name_the_mechanism() -> None:
    for how in split_check.MECHANISMS:
        row = _row(how)
        assert row.shape == (split_check.FEATURES,)
        assert row[: len(split_check.MECHANISMS)].tolist() == [
            float(m == how) for m in split_check.MECHANISMS
        ]
    assert not _row("something new")[: len(split_check.MECHANISMS)].any()
    # parts surer of their own category than the whole read further apart than parts like it
    alike = split_check.features(
        "markers",
        0.8,
        None,
        3,
        np.array([0.5, 0.3, 0.2]),
        np.array([[0.5, 0.3, 0.2]] * 2),
        [12, 9],
        21,
    )
    m = len(split_check.MECHANISMS)
    assert _row()[m + 5] > alike[m + 5] and _row()[m + 6] > alike[m + 6]
    # the best boundary counts; no boundary reads as 0
    assert _row(boundaries=[0.1, 0.7])[m + 2] == pytest.approx(0.7)
    assert _row(boundaries=None)[m + 2] == 0.0


def test_features_refuse_fewer_than_two_parts_or_missing_word_counts() -> None:
    with pytest.raises(ValueError, match="at least two parts"):
        split_check.features("markers", 0.5, None, 1, np.ones(3) / 3, np.ones((1, 3)) / 3, [4], 4)
    with pytest.raises(ValueError, match="at least two parts"):
        split_check.features("markers", 0.5, None, 1, np.ones(3) / 3, np.ones((2, 3)) / 3, [4], 8)


@pytest.fixture(scope="module")
def trained(embedder: MiniLMEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("corpus")
    for name in PARTS:
        shutil.copy(ROOT / "data" / "corpus" / name, corpus / name)
    out = tmp_path_factory.mktemp("head") / "head.npz"
    train(corpus, out, embedder=embedder, baseline=False)
    return out


def test_the_split_check_is_trained_saved_and_read_without_embedding(
    embedder: MiniLMEmbedder, trained: Path
) -> None:
    loaded = HeadBundle.load(trained)
    assert loaded.split_check is not None
    assert loaded.split_check.classes == split_check.SPLIT_CLASSES
    model = EmbeddingTextModel(embedder, loaded)
    sentences = split.boundary_sentences(WHOLE, load_policy())
    before = embedder.texts_embedded
    holds = model.split_holds(WHOLE, sentences, PARTS_OF_WHOLE, "markers")
    assert embedder.texts_embedded == before
    assert holds is not None and 0.0 <= holds <= 1.0
    x = model.split_features(WHOLE, sentences, PARTS_OF_WHOLE, "markers")
    assert x is not None
    assert holds == pytest.approx(float(loaded.split_check.predict_proba(x[None, :])[0, 1]))
    assert model.split_holds(WHOLE, sentences, PARTS_OF_WHOLE[:1], "markers") is None
    # asked again (the core asks twice per decision, a replay once more), it answers from memory
    model._lexical_known.clear()
    assert model.split_holds(WHOLE, sentences, PARTS_OF_WHOLE, "markers") == holds
    assert len(model._lexical_known) == 0
    # another mechanism is another question
    assert model.split_holds(WHOLE, sentences, PARTS_OF_WHOLE, "ask") != holds


def test_a_head_file_without_a_split_check_has_no_opinion(
    embedder: MiniLMEmbedder, trained: Path, tmp_path: Path
) -> None:
    replace(HeadBundle.load(trained), split_check=None).save(tmp_path / "old.npz")
    with np.load(tmp_path / "old.npz") as data:
        assert not any(name.startswith("split_check") for name in data.files)
    model = EmbeddingTextModel(embedder, HeadBundle.load(tmp_path / "old.npz"))
    assert model.split_holds(WHOLE, [WHOLE], PARTS_OF_WHOLE, "markers") is None


def test_a_split_check_that_does_not_fit_is_refused(trained: Path, tmp_path: Path) -> None:
    bundle = HeadBundle.load(trained)
    check = bundle.split_check
    assert check is not None
    narrow = SoftmaxHead(
        classes=check.classes,
        mean=check.mean[:-1],
        scale=check.scale[:-1],
        weights=check.weights[:-1],
        bias=check.bias,
    )
    replace(bundle, split_check=narrow).save(tmp_path / "narrow.npz")
    with pytest.raises(ModelAssetError, match="split check does not fit"):
        HeadBundle.load(tmp_path / "narrow.npz")
    replace(bundle, boundary=None).save(tmp_path / "no-boundary.npz")
    with pytest.raises(ModelAssetError, match="split check does not fit"):
        HeadBundle.load(tmp_path / "no-boundary.npz")
