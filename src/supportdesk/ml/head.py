"""Multinomial logistic regression in numpy: the trained "head" on top of text features.

Deterministic by construction: features are standardised with statistics of the training set,
weights start at zero, and full-batch gradient descent with Nesterov momentum runs a fixed number
of iterations with a step size derived from the data (1 / Lipschitz bound of the gradient,
estimated by a fixed-start power iteration). Same inputs, same machine → same weights, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainConfig:
    l2: float = 1e-2
    iterations: int = 300
    #: Weight classes inversely to their frequency (rare categories are not drowned out).
    balanced: bool = True
    #: Standardise features (dense embeddings: yes; sparse TF-IDF rows: no).
    standardize: bool = True


@dataclass(frozen=True)
class SoftmaxHead:
    """p(class | x) = softmax(((x - mean) / scale) @ weights + bias)."""

    classes: tuple[str, ...]
    weights: F32  # (dim, n_classes)
    bias: F32  # (n_classes,)
    mean: F32  # (dim,)
    scale: F32  # (dim,)

    @property
    def dim(self) -> int:
        return int(self.weights.shape[0])

    def logits(self, features: npt.NDArray[np.floating]) -> F32:
        z = (np.asarray(features, dtype=np.float32) - self.mean) / self.scale
        return (z @ self.weights + self.bias).astype(np.float32)

    def predict_proba(self, features: npt.NDArray[np.floating]) -> F32:
        return softmax(self.logits(features).astype(np.float64)).astype(np.float32)

    def predict(self, features: npt.NDArray[np.floating]) -> list[str]:
        proba = self.predict_proba(features)
        return [self.classes[i] for i in np.argmax(proba, axis=1)]

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_classes": np.array(self.classes, dtype="U32"),
            f"{prefix}_weights": self.weights,
            f"{prefix}_bias": self.bias,
            f"{prefix}_mean": self.mean,
            f"{prefix}_scale": self.scale,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> SoftmaxHead:
        head = cls(
            classes=tuple(str(c) for c in arrays[f"{prefix}_classes"]),
            weights=np.asarray(arrays[f"{prefix}_weights"], dtype=np.float32),
            bias=np.asarray(arrays[f"{prefix}_bias"], dtype=np.float32),
            mean=np.asarray(arrays[f"{prefix}_mean"], dtype=np.float32),
            scale=np.asarray(arrays[f"{prefix}_scale"], dtype=np.float32),
        )
        k = len(head.classes)
        if head.weights.shape != (head.mean.shape[0], k) or head.bias.shape != (k,):
            raise ValueError(f"head {prefix!r}: inconsistent shapes")
        return head


def softmax(logits: F64) -> F64:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


def _lipschitz(x: F64, iterations: int = 50) -> float:
    """Upper bound of the curvature of mean cross-entropy: 0.5 * λmax(XᵀX / n), X with a ones
    column for the bias. Power iteration from a fixed start (deterministic)."""
    n, d = x.shape
    v = np.ones(d + 1) / np.sqrt(d + 1)
    lam = 1.0
    for _ in range(iterations):
        xv = x @ v[:d] + v[d]
        w = np.concatenate([x.T @ xv, [xv.sum()]]) / n
        lam = float(np.linalg.norm(w))
        if lam == 0.0:
            return 1.0
        v = w / lam
    return 0.5 * lam * 1.05  # small margin: power iteration approaches λmax from below


def _lipschitz_dual(gram: F64, row_scale: F64, iterations: int = 50) -> float:
    """`_lipschitz` of the rows x_i * row_scale_i from their Gram matrix (x xᵀ) alone: S(xxᵀ +
    11ᵀ)S / n has the same non-zero eigenvalues as XᵀX / n for X = S[x 1], so the power iteration
    runs in the n-dimensional row space (n² per step instead of n·d)."""
    n = gram.shape[0]
    v = np.ones(n) / np.sqrt(n)
    lam = 1.0
    for _ in range(iterations):
        sv = row_scale * v
        w = row_scale * (gram @ sv + sv.sum()) / n
        lam = float(np.linalg.norm(w))
        if lam == 0.0:
            return 1.0
        v = w / lam
    return 0.5 * lam * 1.05


def train_softmax(
    features: npt.NDArray[np.floating],
    labels: Sequence[str],
    classes: Sequence[str],
    config: TrainConfig | None = None,
    gram: F64 | None = None,
) -> SoftmaxHead:
    """Fit a softmax regression. `classes` fixes the output order; classes without any example
    keep zero weights and a very negative bias (they are never predicted).

    `gram`, for unstandardised features wider than they are many (the dual path): their Gram
    matrix `features @ features.T` in float64, when the caller has it already (model selection
    fits many subsets of one matrix: each subset's Gram is a block of the whole one)."""
    cfg = config or TrainConfig()
    x = np.asarray(features, dtype=np.float64)
    n, d = x.shape
    if n == 0 or n != len(labels):
        raise ValueError(f"need one label per row, got {n} rows and {len(labels)} labels")
    if gram is not None and (cfg.standardize or d <= n or gram.shape != (n, n)):
        raise ValueError("a Gram matrix serves unstandardised rows wider than they are many")
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted({lab for lab in labels if lab not in index})
    if unknown:
        raise ValueError(f"labels not in classes: {unknown}")
    y = np.array([index[lab] for lab in labels])
    k = len(classes)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0

    if cfg.standardize:
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale = np.where(scale > 1e-8, scale, 1.0)
        z = (x - mean) / scale
    else:  # TF-IDF rows (65,536 wide) are used as they are: no second copy of them
        mean = np.zeros(d)
        scale = np.ones(d)
        z = x

    counts = np.bincount(y, minlength=k).astype(np.float64)
    present = counts > 0
    if cfg.balanced:
        class_w = np.where(present, n / (present.sum() * np.maximum(counts, 1.0)), 0.0)
    else:
        class_w = np.ones(k)
    row_w = class_w[y]
    row_w = row_w / row_w.sum()  # weighted mean over rows

    # With weights starting at zero, every gradient step keeps them in the row space of z, so
    # weights = z.T @ dual exactly. When there are more features than rows (the TF-IDF baseline)
    # the same descent runs on `dual` through the n×n Gram matrix: far fewer operations.
    use_dual = d > n
    if use_dual:
        gram = z @ z.T if gram is None else np.asarray(gram, dtype=np.float64)
        step = 1.0 / (_lipschitz_dual(gram, np.sqrt(row_w * n)) + cfg.l2)
    else:
        step = 1.0 / (_lipschitz(z * np.sqrt(row_w * n)[:, None]) + cfg.l2)
    params = np.zeros((n, k)) if use_dual else np.zeros((d, k))
    bias = np.where(present, 0.0, -30.0)
    vel_p = np.zeros_like(params)
    vel_b = np.zeros_like(bias)
    mask_b = present.astype(np.float64)
    for t in range(cfg.iterations):
        momentum = t / (t + 3.0)
        look_p = params + momentum * vel_p
        look_b = bias + momentum * vel_b
        scores = (gram @ look_p if gram is not None else z @ look_p) + look_b
        err = (softmax(scores) - onehot) * row_w[:, None]
        grad_p = (err if use_dual else z.T @ err) + cfg.l2 * look_p
        grad_b = err.sum(axis=0) * mask_b
        vel_p = momentum * vel_p - step * grad_p
        vel_b = momentum * vel_b - step * grad_b
        params = params + vel_p
        bias = bias + vel_b
    weights = z.T @ params if use_dual else params
    return SoftmaxHead(
        classes=tuple(classes),
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
    )


def cross_entropy(
    head: SoftmaxHead, features: npt.NDArray[np.floating], labels: Sequence[str]
) -> float:
    proba = head.predict_proba(features).astype(np.float64)
    idx = [head.classes.index(lab) for lab in labels]
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(idx)), idx], 1e-12, None))))
