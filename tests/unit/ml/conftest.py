"""One real embedder for the whole session (loading it takes a few hundred milliseconds)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from supportdesk.ml.embedder import MiniLMEmbedder

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def assert_paraphrases_closer(embedder: MiniLMEmbedder) -> None:
    """Two phrasings of one billing complaint are closer than either is to an SSO question
    (checked for every compute path of the embedder)."""
    a, b, c = embedder.embed(
        [
            "We were billed twice on the October invoice.",
            "The October invoice charged us two times.",
            "How do I configure SAML single sign-on?",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def float_embedder() -> MiniLMEmbedder:
    """The float compute path (not the default)."""
    return MiniLMEmbedder(compute="float")


class CountingEmbedder:
    """A fake embedder: deterministic vectors from the text hash, and a count of texts seen."""

    id = "counting-fake"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    @property
    def texts_embedded(self) -> int:
        return sum(len(c) for c in self.calls)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng(zlib.crc32(text.encode()))
            v = rng.normal(size=self.dim)
            out[i] = v / np.linalg.norm(v)
        return out
