"""An embedding cache keyed by the sha256 of the exact text.

Replaying a batch of tickets under a new policy (or re-training a head) re-uses the vectors of
texts already seen instead of running the network again. The cache lives in memory and can be
saved to / loaded from an `.npz` file; the file records the embedder id, and a file written by a
different embedder is refused rather than silently mixed in.
"""

from __future__ import annotations

import hashlib
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from supportdesk.ml.embedder import Embedder, Matrix
from supportdesk.ml.npzio import write_npz


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CacheMismatchError(ValueError):
    """A cache file belongs to another embedder (other id or dimension), or is not a cache."""


class EmbeddingCache:
    """Vectors by text hash, in memory (one entry is 1.5 KB at 384 float32).

    With `max_entries`, the oldest entries are dropped first once the cache is full (a
    long-running service does not grow without bound); `None` keeps everything.
    """

    def __init__(self, embedder_id: str, dim: int, *, max_entries: int | None = None) -> None:
        self.embedder_id = embedder_id
        self.dim = dim
        self.max_entries = max_entries
        self._vectors: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        # Guards the dict: a web server may share one model (and cache) between threads.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, text: str) -> bool:
        return text_key(text) in self._vectors

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> Matrix:
        """Vectors for `texts` in order; only texts never seen before reach `embedder`."""
        if embedder.id != self.embedder_id or embedder.dim != self.dim:
            raise CacheMismatchError(
                f"cache holds {self.embedder_id}/{self.dim}, "
                f"embedder is {embedder.id}/{embedder.dim}"
            )
        keys = [text_key(t) for t in texts]
        known: dict[str, np.ndarray] = {}
        todo: dict[str, str] = {}
        with self._lock:  # snapshot: another thread may evict entries while we embed
            for key, text in zip(keys, texts, strict=True):
                if key in self._vectors:
                    known[key] = self._vectors[key]
                elif key not in todo:
                    todo[key] = text
            self.misses += len(todo)
            self.hits += len(keys) - len(todo)
        if todo:  # the network runs outside the lock
            vectors = embedder.embed(list(todo.values()))
            known.update(zip(todo, vectors, strict=True))
            with self._lock:
                for key in todo:
                    self._store(key, known[key])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = known[key]
        return out

    def _store(self, key: str, vector: np.ndarray) -> None:
        """Add one entry; the caller holds the lock."""
        self._vectors[key] = vector
        if self.max_entries is not None:
            while len(self._vectors) > self.max_entries:
                del self._vectors[next(iter(self._vectors))]

    def save(self, path: Path) -> None:
        """Write all vectors to `path` (.npz, keys sorted so equal caches give equal files)."""
        with self._lock:
            snapshot = dict(self._vectors)
        keys = sorted(snapshot)
        vectors = (
            np.stack([snapshot[k] for k in keys])
            if keys
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        write_npz(
            path,
            {
                "keys": np.array(keys, dtype="U64"),
                "vectors": vectors.astype(np.float32),
                "embedder_id": np.array(self.embedder_id),
            },
        )

    def load(self, path: Path) -> int:
        """Merge the vectors of `path` into this cache; returns how many were read."""
        try:
            with np.load(path, allow_pickle=False) as data:
                embedder_id = str(data["embedder_id"])
                vectors = data["vectors"]
                keys = [str(k) for k in data["keys"]]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise CacheMismatchError(f"{path} is not an embedding cache file: {exc}") from exc
        if embedder_id != self.embedder_id or (len(keys) and vectors.shape[1] != self.dim):
            raise CacheMismatchError(
                f"{path} was written by {embedder_id} ({vectors.shape[1]} dims), "
                f"this cache is for {self.embedder_id} ({self.dim} dims)"
            )
        with self._lock:
            for key, vector in zip(keys, vectors, strict=True):
                self._store(key, vector.astype(np.float32))
        return len(keys)
