"""Out-of-fold triage evaluation on the training split: the honest way to tune policy signals.

The shipped head has seen every training ticket, so triaging the training split with it measures
memory, not generalisation. Here each of the 5 folds (by id hash, as in training) is triaged by
heads (embedding and lexical, mixed as shipped, the request-count head and the boundary head)
fitted on the other four folds only (the boundary head with the nested folds `model train`
uses); the held-out test split is never read.

    python -m supportdesk.ml.oof [CORPUS_DIR] [MAX_MISMATCHES]

Embeddings are cached between runs in $SUPPORTDESK_OOF_CACHE (default
/tmp/supportdesk-embeddings.npz; a cache file holds one embedder's vectors, so give each embedder
its own). The embedder is the default one, or the one $SUPPORTDESK_EMBEDDER_COMPUTE names
(float|integer).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from supportdesk.core.policy import load_policy
from supportdesk.evaluation import parse_cases, render, run_cases, score
from supportdesk.ml.cache import EmbeddingCache
from supportdesk.ml.corpus import fold_of, load_corpus, select, select_ids
from supportdesk.ml.embedder import MiniLMEmbedder
from supportdesk.ml.model import EmbeddingTextModel, HeadBundle
from supportdesk.ml.train import (
    EMBED_L2_GRID,
    FOLDS,
    _fit_pair,
    fit_boundary,
    fit_lexical,
    fit_requests,
    training_items,
)

CACHE_ENV = "SUPPORTDESK_OOF_CACHE"
DEFAULT_CACHE = Path("/tmp/supportdesk-embeddings.npz")


def oof_report(
    corpus_dir: Path, cache_file: Path | None = None, max_mismatches: int = 30
) -> list[str]:
    corpus = load_corpus(corpus_dir)
    train_items = training_items(corpus.items)  # as `model train` fits them
    train_lines = select(corpus.items, "train")  # whole, for the request-count and boundary heads
    embedder = MiniLMEmbedder()
    cache = EmbeddingCache(embedder.id, embedder.dim)
    if cache_file is not None and cache_file.is_file():
        cache.load(cache_file)
    lines = [
        line
        for f in sorted(corpus_dir.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    cases, bad = parse_cases(lines, str(corpus_dir))
    keep = select_ids([c.id for c in cases], "train")
    cases = [c for c in cases if c.id in keep]
    policy = load_policy()
    decided_all = []
    for fold in range(FOLDS):
        fit_items = [it for it in train_items if fold_of(it.id, FOLDS) != fold]
        texts = [it.text for it in fit_items]
        x = cache.embed(embedder, texts)
        cat_head, sev_head, _, _, _ = _fit_pair(x, fit_items, EMBED_L2_GRID, True)
        fold_lines = [it for it in train_lines if fold_of(it.id, FOLDS) != fold]
        lexical, l2_lexical, _, _ = fit_lexical(texts, fit_items)
        lexical = fit_requests(lexical, fold_lines)
        boundary = fit_boundary(lexical, l2_lexical, fit_items, fold_lines, policy)
        heads = HeadBundle(cat_head, sev_head, 0.85, corpus.sha256, embedder.id, lexical, boundary)
        model = EmbeddingTextModel(embedder, heads, cache=cache)
        fold_cases = [c for c in cases if fold_of(c.id, FOLDS) == fold]
        decided, failed = run_cases(fold_cases, policy, model)
        decided_all.extend(decided)
        bad.extend(failed)
    if cache_file is not None:
        cache.save(cache_file)
    return render(score(decided_all, bad), max_mismatches=max_mismatches)


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/corpus")
    shown = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    cache_file = Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)
    for line in oof_report(where, cache_file, shown):
        print(line)
