from __future__ import annotations

import numpy as np
import pytest

from supportdesk.ml.head import SoftmaxHead, TrainConfig, train_softmax


def blobs(n: int = 90, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(3, dim))
    labels = [("a", "b", "c")[i % 3] for i in range(n)]
    x = np.stack([centres[i % 3] + rng.normal(size=dim) for i in range(n)])
    return x.astype(np.float32), labels


def test_learns_separable_classes() -> None:
    x, y = blobs()
    head = train_softmax(x, y, ("a", "b", "c", "d"))
    assert head.predict(x) == y
    proba = head.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert proba[:, 3].max() < 1e-6  # a class with no example is never predicted


def test_training_is_reproducible_bit_for_bit() -> None:
    x, y = blobs()
    one = train_softmax(x, y, ("a", "b", "c"))
    two = train_softmax(x.copy(), list(y), ("a", "b", "c"))
    for name in ("weights", "bias", "mean", "scale"):
        assert np.array_equal(getattr(one, name), getattr(two, name))


def test_more_features_than_rows_uses_the_same_solution() -> None:
    x, y = blobs(n=30, dim=10)
    padded = np.hstack([x, np.zeros((30, 50), dtype=np.float32)])  # d > n: the dual path
    cfg = TrainConfig(standardize=False)
    primal = train_softmax(x, y, ("a", "b", "c"), cfg)
    dual = train_softmax(padded, y, ("a", "b", "c"), cfg)
    np.testing.assert_allclose(primal.weights, dual.weights[:10], atol=1e-4)
    np.testing.assert_allclose(primal.bias, dual.bias, atol=1e-4)


def test_round_trip_through_arrays() -> None:
    x, y = blobs()
    head = train_softmax(x, y, ("a", "b", "c"))
    again = SoftmaxHead.from_arrays(head.to_arrays("h"), "h")
    assert again.classes == head.classes
    assert np.array_equal(again.predict_proba(x), head.predict_proba(x))


def test_rejects_unknown_labels() -> None:
    x, _ = blobs(n=3)
    with pytest.raises(ValueError, match="not in classes"):
        train_softmax(x, ["a", "b", "z"], ("a", "b"))


def test_a_block_of_the_whole_gram_matrix_serves_a_subset() -> None:
    x, y = blobs(n=40, dim=8)
    wide = np.hstack([x, np.abs(x[:, :1]) * np.ones((40, 60), dtype=np.float32)])  # d > n
    whole = wide.astype(np.float64) @ wide.astype(np.float64).T
    fit = np.arange(40) % 4 != 0
    cfg = TrainConfig(standardize=False)
    own = train_softmax(wide[fit], [lab for lab, f in zip(y, fit, strict=True) if f], "abc", cfg)
    block = train_softmax(
        wide[fit],
        [lab for lab, f in zip(y, fit, strict=True) if f],
        "abc",
        cfg,
        gram=whole[np.ix_(fit, fit)],
    )
    np.testing.assert_allclose(own.weights, block.weights, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(own.bias, block.bias, rtol=1e-6, atol=1e-8)


def test_a_gram_matrix_is_refused_where_it_cannot_serve() -> None:
    x, y = blobs(n=30, dim=10)
    gram = x.astype(np.float64) @ x.astype(np.float64).T
    with pytest.raises(ValueError, match="Gram matrix"):
        train_softmax(x, y, ("a", "b", "c"), TrainConfig(standardize=False), gram=gram)
