"""`EmbeddingTextModel`: the shipped implementation of the triage core's `TextModel` port.

A text is embedded (all-MiniLM-L6-v2, see `embedder.py`), then two trained softmax heads give a
probability per category and per severity. The heads, the tuned confidence threshold and the
provenance of both (corpus sha256, embedder id) live in one small file, `assets/head.npz`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from supportdesk.core.triage.models import CATEGORIES
from supportdesk.core.triage.ports import TextSignals
from supportdesk.ml.cache import EmbeddingCache
from supportdesk.ml.embedder import Embedder, MiniLMEmbedder, ModelAssetError
from supportdesk.ml.head import SoftmaxHead
from supportdesk.ml.npzio import write_npz

HEAD_FORMAT = 1
SEVERITIES: tuple[str, ...] = ("1", "2", "3")


def default_head_path() -> Path:
    return Path(str(resources.files("supportdesk.ml") / "assets" / "head.npz"))


@dataclass(frozen=True)
class HeadBundle:
    """Everything `supportdesk model train` produces."""

    category: SoftmaxHead
    severity: SoftmaxHead
    #: Below this category probability the triage says "low confidence".
    confidence_threshold: float
    corpus_sha256: str
    embedder_id: str

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "format": np.array(HEAD_FORMAT),
            "confidence_threshold": np.array(self.confidence_threshold, dtype=np.float64),
            "corpus_sha256": np.array(self.corpus_sha256),
            "embedder_id": np.array(self.embedder_id),
        }
        arrays.update(self.category.to_arrays("category"))
        arrays.update(self.severity.to_arrays("severity"))
        write_npz(path, arrays)

    @classmethod
    def load(cls, path: Path) -> HeadBundle:
        if not path.is_file():
            raise ModelAssetError(
                f"no trained head at {path}: run `supportdesk model train` (needs data/corpus/)"
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            if int(arrays["format"]) != HEAD_FORMAT:
                raise ModelAssetError(f"{path}: head format {int(arrays['format'])} unsupported")
            bundle = cls(
                category=SoftmaxHead.from_arrays(arrays, "category"),
                severity=SoftmaxHead.from_arrays(arrays, "severity"),
                confidence_threshold=float(arrays["confidence_threshold"]),
                corpus_sha256=str(arrays["corpus_sha256"]),
                embedder_id=str(arrays["embedder_id"]),
            )
        except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelAssetError(f"{path} is not a valid head file: {exc}") from exc
        if set(bundle.category.classes) - set(CATEGORIES):
            raise ModelAssetError(f"{path}: unknown categories {bundle.category.classes}")
        if bundle.severity.classes != SEVERITIES:
            raise ModelAssetError(f"{path}: severity classes {bundle.severity.classes}")
        return bundle


class EmbeddingTextModel:
    """`TextModel`: MiniLM sentence embedding + softmax heads for category and severity."""

    def __init__(
        self,
        embedder: Embedder,
        heads: HeadBundle,
        *,
        cache: EmbeddingCache | None = None,
    ) -> None:
        if heads.embedder_id != embedder.id:
            raise ModelAssetError(
                f"head was trained on {heads.embedder_id} vectors, embedder is {embedder.id}"
            )
        if heads.category.dim != embedder.dim or heads.severity.dim != embedder.dim:
            raise ModelAssetError("head and embedder dimensions differ")
        self.embedder = embedder
        self.heads = heads
        self.cache = (
            cache
            if cache is not None
            else EmbeddingCache(embedder.id, embedder.dim, max_entries=50_000)
        )
        self.confidence_threshold = heads.confidence_threshold
        self.name = f"{embedder.id}+softmax@{heads.corpus_sha256[:12]}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(self.embedder, texts)

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        if not texts:
            return []
        vectors = self.embed(texts)
        cat = self.heads.category.predict_proba(vectors)
        sev = self.heads.severity.predict_proba(vectors)
        cat_names = self.heads.category.classes
        sev_levels = [int(s) for s in self.heads.severity.classes]
        return [
            TextSignals(
                category={c: float(p) for c, p in zip(cat_names, cat_row, strict=True)},
                severity={s: float(p) for s, p in zip(sev_levels, sev_row, strict=True)},
            )
            for cat_row, sev_row in zip(cat, sev, strict=True)
        ]


def load_default_model(
    head_path: Path | None = None, *, cache_file: Path | None = None
) -> EmbeddingTextModel:
    """The shipped model: installed ONNX file (sha256-checked) + `assets/head.npz`.

    Raises `ModelAssetError` with the reason when a file is missing or does not match.
    """
    heads = HeadBundle.load(head_path or default_head_path())
    model = EmbeddingTextModel(MiniLMEmbedder(), heads)
    if cache_file is not None and cache_file.is_file():
        model.cache.load(cache_file)
    return model
