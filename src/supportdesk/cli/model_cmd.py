"""`supportdesk model train|info` and `supportdesk eval`: the text model and its measurement.

Only translation happens here; the work is in `supportdesk.ml.train` and `supportdesk.evaluation`.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer

from supportdesk.cli.common import fail, load_policy_or_exit

model_app = typer.Typer(help="The text model: train its heads, show what is installed.")


class SplitChoice(StrEnum):
    test = "test"
    train = "train"
    all = "all"


class ModelChoice(StrEnum):
    embedding = "embedding"
    rules = "rules"


@model_app.command("train")
def train_cmd(
    corpus: Path = typer.Option(
        Path("data/corpus"), "--corpus", help="Directory of labelled *.jsonl (or one file)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the head (default: the package's assets/head.npz)."
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Embedding cache file (.npz): read if present, written after."
    ),
    no_baseline: bool = typer.Option(
        False, "--no-baseline", help="Skip the TF-IDF baseline comparison."
    ),
) -> None:
    """Train the heads; print the held-out comparison with the baseline.

    The heads: category and severity on the embedding and on TF-IDF, the request count, the
    request boundary and the split check (the last two read triage out of fold: about 12
    minutes on a 2-core machine). Same corpus → byte-identical head file.
    """
    from supportdesk.ml.cache import CacheMismatchError, EmbeddingCache
    from supportdesk.ml.embedder import MiniLMEmbedder, ModelAssetError
    from supportdesk.ml.model import default_head_path
    from supportdesk.ml.train import train

    try:
        embedder = MiniLMEmbedder()
    except ModelAssetError as exc:
        fail(str(exc))
    emb_cache = EmbeddingCache(embedder.id, embedder.dim)
    if cache is not None and cache.is_file():
        try:
            emb_cache.load(cache)
        except CacheMismatchError as exc:
            fail(f"cannot use embedding cache {cache}: {exc}")
    try:
        _, report = train(
            corpus,
            out or default_head_path(),
            embedder=embedder,
            cache=emb_cache,
            baseline=not no_baseline,
        )
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if cache is not None:
        emb_cache.save(cache)
    typer.echo("\n".join(report.render()))


@model_app.command("info")
def info_cmd(
    head: Path | None = typer.Option(None, "--head", help="Head file (default: the shipped one)."),
    corpus: Path = typer.Option(
        Path("data/corpus"), "--corpus", help="Corpus to compare the head's provenance with."
    ),
) -> None:
    """Show the installed model: embedder, head provenance, threshold, load time, and whether the
    head was trained on the corpus as it is now."""
    import time

    from supportdesk.ml.embedder import ModelAssetError
    from supportdesk.ml.model import default_head_path, load_default_model

    started = time.perf_counter()
    try:
        model = load_default_model(head)
    except ModelAssetError as exc:
        fail(str(exc))
    elapsed = time.perf_counter() - started
    heads = model.heads
    typer.echo(f"name        {model.name}")
    typer.echo(f"head        {head or default_head_path()}")
    typer.echo(f"corpus      {heads.corpus_sha256}")
    typer.echo(f"categories  {', '.join(heads.category.classes)}")
    typer.echo(f"threshold   {heads.confidence_threshold:.4f}")
    typer.echo(f"loaded in   {elapsed * 1000:.0f} ms")
    if corpus.exists():
        from supportdesk.ml.corpus import load_corpus

        try:
            now = load_corpus(corpus).sha256
        except FileNotFoundError:
            return
        verdict = "same" if now == heads.corpus_sha256 else "CHANGED: run `supportdesk model train`"
        typer.echo(f"corpus now  {now} ({verdict})")


def eval_cmd(
    file: Path = typer.Argument(
        ..., help="Labelled JSON Lines (tickets with `expected`), or a directory of *.jsonl."
    ),
    policy: Path | None = typer.Option(None, "--policy", help="Policy file (default: published)."),
    split: SplitChoice = typer.Option(
        SplitChoice.all, "--split", help="Corpus part by id hash: test, train or all."
    ),
    expected: Path | None = typer.Option(
        None, "--expected", help="Expectations in a separate JSONL keyed by id (examples format)."
    ),
    model: ModelChoice = typer.Option(
        ModelChoice.embedding, "--model", help="embedding (the shipped model) or rules (none)."
    ),
    head: Path | None = typer.Option(None, "--head", help="Head file to evaluate instead."),
    now: datetime | None = typer.Option(
        None, "--now", help="Decision time for tickets without submitted_at (ISO, with offset)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    show: int = typer.Option(20, "--show", help="How many mismatches to list (text output)."),
) -> None:
    """Score the full triage against labelled expectations, field by field.

    Bad lines are reported and skipped. Exit status 0 even when scores are low; 2 on a usage error.
    """
    from supportdesk.evaluation import parse_cases, render, run_cases, score
    from supportdesk.ml.corpus import select_ids

    if now is not None and now.tzinfo is None:
        fail("--now needs a UTC offset, e.g. 2026-12-01T11:00:00-07:00")
    pol = load_policy_or_exit(policy)
    files = sorted(file.glob("*.jsonl")) if file.is_dir() else [file]
    if not files:
        fail(f"no *.jsonl files in {file}")
    try:
        lines = [
            line
            for f in files
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines()
        ]
        exp_lines = (
            expected.read_text(encoding="utf-8", errors="replace").splitlines()
            if expected
            else None
        )
    except OSError as exc:
        fail(f"cannot read input: {exc}")
    cases, bad = parse_cases(
        lines, str(file), expected_lines=exp_lines, expected_source=str(expected or "")
    )
    keep = select_ids([c.id for c in cases], split.value)
    cases = [c for c in cases if c.id in keep]

    text_model = None
    if model is ModelChoice.embedding:
        from supportdesk.ml.embedder import ModelAssetError
        from supportdesk.ml.model import load_default_model

        try:
            text_model = load_default_model(head)
        except ModelAssetError as exc:
            fail(f"cannot load the text model: {exc} (use --model rules to score the rules alone)")
    decided, failed = run_cases(cases, pol, text_model, now)
    report = score(decided, bad + failed)
    if as_json:
        payload = report.to_json()
        payload.update(
            file=str(file),
            split=split.value,
            model=getattr(text_model, "name", "rules-only"),
            policy_version=getattr(pol, "version", None),
        )
        typer.echo(json.dumps(payload, indent=2, default=str))
    else:
        typer.echo(
            f"{file} (split {split.value}), model {getattr(text_model, 'name', 'rules-only')}"
        )
        typer.echo("\n".join(render(report, max_mismatches=show)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(model_app, name="model")
    app.command("eval")(eval_cmd)
