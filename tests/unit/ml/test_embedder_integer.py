"""The integer compute path (the default): DynamicQuantizeMatMul on the file's int8 weights, one
text per run, the feed-forward down-projections left float."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from supportdesk.ml.cache import CacheMismatchError, EmbeddingCache
from supportdesk.ml.embedder import (
    COMPUTE_ENV,
    DIM,
    EMBEDDER_IDS,
    QUANTIZED_MATMULS,
    MiniLMEmbedder,
    ModelAssetError,
    compute_of,
    default_compute,
    integer_graph,
)
from supportdesk.ml.model import load_default_model
from supportdesk.ml.train import train
from tests.unit.ml.conftest import FIXTURE_CORPUS, assert_paraphrases_closer

TEXTS = [
    "Why did tenant Bayside Realty use 25,000 credits on 30 Nov?",
    "Invoice 8812 charged us for a credit pack nobody ordered.",
    "Nobody can sign in to any tenant since 9am; SSO returns error 500.",
    "",
    "word " * 400,  # longer than 256 tokens: truncated
    "Slack webhook stopped firing",
    "Die Rechnung 4411 wurde doppelt abgebucht.",
    "How do I add a second admin to the Northwind tenant? "
    "We need two people who can approve credit top-ups while I am on leave next month.",
]


@pytest.fixture(scope="module")
def integer() -> MiniLMEmbedder:
    return MiniLMEmbedder(compute="integer")


def test_own_id_shape_and_unit_norm(integer: MiniLMEmbedder) -> None:
    assert integer.id == EMBEDDER_IDS["integer"] != EMBEDDER_IDS["float"]
    assert integer.batch_size == 1
    vectors = integer.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert integer.embed([]).shape == (0, DIM)


def test_a_vector_depends_on_the_text_alone(integer: MiniLMEmbedder) -> None:
    """Bit-identical alone, amid any other texts, in any order, with 1 or 2 threads."""
    alone = np.vstack([integer.embed([t]) for t in TEXTS])
    assert np.array_equal(integer.embed(TEXTS), alone)
    rng = random.Random(7)
    others = [f"Ticket {n}: the export to {w} failed twice" for n, w in enumerate("abcdefgh")]
    for _ in range(6):
        mixed = TEXTS + rng.sample(others, rng.randint(0, len(others)))
        rng.shuffle(mixed)
        got = integer.embed(mixed)
        for row, text in zip(got, mixed, strict=True):
            if text in TEXTS:
                assert np.array_equal(row, alone[TEXTS.index(text)]), text
    single_thread = MiniLMEmbedder(compute="integer", threads=1)
    assert np.array_equal(single_thread.embed(TEXTS[::-1])[::-1], alone)


def test_is_the_default_path(integer: MiniLMEmbedder, embedder: MiniLMEmbedder) -> None:
    assert embedder.compute == "integer" and embedder.id == integer.id


def test_close_to_the_float_path(integer: MiniLMEmbedder, float_embedder: MiniLMEmbedder) -> None:
    assert float_embedder.compute == "float"
    cosine = (integer.embed(TEXTS) * float_embedder.embed(TEXTS)).sum(axis=1)
    # onnxruntime's integer kernels depend on the CPU: without AVX-512 VNNI (an AVX2-only EPYC
    # guest, 2026-11-30) the empty text, two tokens with nothing to average the rounding out,
    # came to 0.976 while every real text stayed at 0.993 or above.
    real = [i for i, text in enumerate(TEXTS) if text]
    assert cosine[real].min() > 0.985, cosine
    assert cosine.min() > 0.95, cosine


def test_similar_meanings_are_closer(integer: MiniLMEmbedder) -> None:
    assert_paraphrases_closer(integer)


def test_rewrite_replaces_every_weight_matmul_but_the_down_projections(
    integer: MiniLMEmbedder,
) -> None:
    graph = onnx.load_from_string(integer_graph(integer.model_path.read_bytes())).graph
    ops = [n.op_type for n in graph.node]
    assert ops.count("DynamicQuantizeMatMul") == QUANTIZED_MATMULS == 30
    # attention (activation x activation, 2 per layer) and the 6 down-projections stay MatMul
    assert ops.count("MatMul") == 12 + 6
    # the embedding tables (read by Gather) and the down-projections are still dequantised
    assert ops.count("Cast") == 39 - 30  # (and one Cast of the attention mask)
    shapes = {t.name: list(t.dims) for t in graph.initializer}
    dequantised = [n.input[0] for n in graph.node if n.op_type == "Cast" and n.input[0] in shapes]
    weights = [q for q in dequantised if "embeddings" not in q]
    assert len(weights) == 6 and all(shapes[q] == [1536, 384] for q in weights)
    rewritten = [n.input[1] for n in graph.node if n.op_type == "DynamicQuantizeMatMul"]
    assert all(shapes[q][0] <= shapes[q][1] for q in rewritten)


def test_rewrite_refuses_another_graph() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    relu = helper.make_node("Relu", ["x"], ["y"])
    other = helper.make_model(helper.make_graph([relu], "g", [x], [y]))
    with pytest.raises(ModelAssetError, match="expected 30"):
        integer_graph(other.SerializeToString())


def test_vectors_of_one_path_never_enter_the_other_cache(integer: MiniLMEmbedder) -> None:
    cache = EmbeddingCache(EMBEDDER_IDS["float"], DIM)
    with pytest.raises(CacheMismatchError):
        cache.embed(integer, ["Slack webhook stopped firing"])


def test_compute_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMPUTE_ENV, "integer")
    assert default_compute() == "integer"
    monkeypatch.setenv(COMPUTE_ENV, "fast")
    with pytest.raises(ModelAssetError, match=COMPUTE_ENV):
        default_compute()
    assert compute_of(EMBEDDER_IDS["integer"]) == "integer"
    with pytest.raises(ModelAssetError, match="no embedder"):
        compute_of("some-other-model")


def test_training_is_reproducible_and_the_head_picks_its_embedder(
    integer: MiniLMEmbedder, tmp_path: Path
) -> None:
    train(FIXTURE_CORPUS, tmp_path / "one.npz", embedder=integer, baseline=False)
    train(FIXTURE_CORPUS, tmp_path / "two.npz", embedder=integer, baseline=False)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    model = load_default_model(tmp_path / "one.npz")
    assert model.heads.embedder_id == model.embedder.id == integer.id
    assert model.predict(["We were charged twice on invoice 4411."])[0].best_category()[0] == (
        "billing"
    )


def test_without_onnx_the_integer_path_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # as if a broken install had lost it
    with pytest.raises(ModelAssetError, match=r"pip install onnx==1\.23\.2"):
        integer_graph(b"")
