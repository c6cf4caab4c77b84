"""Benchmark of the text model on this machine.

    .venv/bin/python bench/bench_model.py [--head FILE] [--runs 5] [--corpus data/corpus]

Measures, each as the median of `--runs` runs:
- cold load: a fresh Python process importing supportdesk.ml and calling load_default_model()
  (sha256 check of the ONNX file, onnxruntime session, tokenizer, head);
- one-ticket latency: p50 / p99 of embedding a single typical ticket text (no cache), 200 calls;
- batch throughput: texts per second embedding the corpus texts (or built-in samples) in one call;
- predict: EmbeddingTextModel.predict on a cached batch (the replay path: no network run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine

SAMPLE = (
    "Tenant Prairie Vets blocked by usage limit\n"
    "Since this morning every workflow in tenant Prairie Vets stops with 'credit limit reached'. "
    "Their allowance should reset on the 1st and they used about 2,000 credits a day until now. "
    "Can you tell us why usage jumped and lift the block while we look into it?"
)


def describe_machine() -> str:
    import onnxruntime

    return machine(f"onnxruntime {onnxruntime.__version__}", f"numpy {np.__version__}")


COLD = """
import time, sys
t = time.perf_counter()
from supportdesk.ml.model import load_default_model
from pathlib import Path
m = load_default_model(Path(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None)
t1 = time.perf_counter()
m.predict(["warm-up text"])
t2 = time.perf_counter()
print(t1 - t, t2 - t1)
"""


def cold_load(head: str | None) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", COLD, head or ""], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def texts_for_batch(corpus: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted(corpus.glob("*.jsonl")) if corpus.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            texts.append(f"{row.get('subject', '')}\n{row.get('description', '')}")
    return texts or [f"{SAMPLE} #{i}" for i in range(256)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", default=None, help="head.npz (default: the shipped one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    args = parser.parse_args()

    from supportdesk.ml.embedder import MiniLMEmbedder
    from supportdesk.ml.model import load_default_model

    print(describe_machine())
    colds = [cold_load(args.head) for _ in range(args.runs)]
    print(
        f"cold load (fresh process, import + load_default_model): "
        f"median {statistics.median(c[0] for c in colds) * 1000:.0f} ms; "
        f"first predict after load {statistics.median(c[1] for c in colds) * 1000:.0f} ms"
    )

    embedder = MiniLMEmbedder()
    n_tokens = int(embedder.tokenize([SAMPLE])["attention_mask"].sum())
    embedder.embed([SAMPLE])  # warm-up
    p50s, p99s = [], []
    for _ in range(args.runs):
        times = []
        for _ in range(200):
            t = time.perf_counter()
            embedder.embed([SAMPLE])
            times.append(time.perf_counter() - t)
        p50s.append(float(np.percentile(times, 50)))
        p99s.append(float(np.percentile(times, 99)))
    print(
        f"one ticket ({n_tokens} tokens), 200 calls: p50 {statistics.median(p50s) * 1000:.1f} ms, "
        f"p99 {statistics.median(p99s) * 1000:.1f} ms"
    )

    texts = texts_for_batch(args.corpus)
    rates = []
    for _ in range(args.runs):
        t = time.perf_counter()
        embedder.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    lengths = embedder.tokenize(texts)["attention_mask"].sum(axis=1)
    print(
        f"batch of {len(texts)} texts (median {int(np.median(lengths))} tokens, "
        f"batch size {embedder.batch_size}, {embedder.threads} threads): "
        f"{statistics.median(rates):.0f} texts/s"
    )

    try:
        model = load_default_model(Path(args.head) if args.head else None)
    except Exception as exc:  # no head yet: the embedding numbers above still stand
        print(f"predict: skipped ({exc})")
        return
    model.predict(texts)  # fills the cache
    replays = []
    for _ in range(args.runs):
        t = time.perf_counter()
        model.predict(texts)
        replays.append(len(texts) / (time.perf_counter() - t))
    print(f"predict on cached texts (replay): {statistics.median(replays):.0f} texts/s")


if __name__ == "__main__":
    main()
