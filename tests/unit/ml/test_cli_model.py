"""`supportdesk model train` and `supportdesk eval` as a user runs them (real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.ml.conftest import FIXTURE_CORPUS

EXAMPLES = Path(__file__).resolve().parents[3] / "data" / "examples"
SHARED = Path("/work/shared/examples")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_train_twice_gives_the_same_file(tmp_path: Path) -> None:
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    cache = tmp_path / "cache.npz"
    first = run(
        "model", "train", "--corpus", str(FIXTURE_CORPUS), "--out", str(one), "--cache", str(cache)
    )
    assert first.returncode == 0, first.stderr
    assert "held-out test" in first.stdout and "tfidf baseline" in first.stdout
    assert cache.is_file()
    second = run(
        "model",
        "train",
        "--corpus",
        str(FIXTURE_CORPUS),
        "--out",
        str(two),
        "--cache",
        str(cache),
        "--no-baseline",
    )
    assert second.returncode == 0, second.stderr
    assert one.read_bytes() == two.read_bytes()


def test_train_without_corpus_is_a_clear_error(tmp_path: Path) -> None:
    result = run("model", "train", "--corpus", str(tmp_path), "--out", str(tmp_path / "h.npz"))
    assert result.returncode == 2
    assert "no *.jsonl" in result.stderr and "Traceback" not in result.stderr


def test_eval_reports_bad_lines_and_json(tmp_path: Path) -> None:
    result = run("eval", str(FIXTURE_CORPUS / "tiny.jsonl"), "--model", "rules", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["cases"] == 36
    assert payload["model"] == "rules-only"
    assert [b["line"] for b in payload["bad_lines"]] == [36]
    assert payload["fields"]["category"]["total"] == 37


def test_eval_split_selects_by_id(tmp_path: Path) -> None:
    test = json.loads(
        run("eval", str(FIXTURE_CORPUS), "--model", "rules", "--split", "test", "--json").stdout
    )
    train = json.loads(
        run("eval", str(FIXTURE_CORPUS), "--model", "rules", "--split", "train", "--json").stdout
    )
    assert test["cases"] + train["cases"] == 36
    assert 0 < test["cases"] < train["cases"]


def test_eval_with_separate_expectations_and_the_shipped_model() -> None:
    tickets, expected = SHARED / "tickets.jsonl", SHARED / "expected.jsonl"
    if not tickets.is_file():
        tickets, expected = EXAMPLES / "tickets.jsonl", EXAMPLES / "expected.jsonl"
    result = run("eval", str(tickets), "--expected", str(expected))
    assert result.returncode == 0, result.stderr
    assert "all-MiniLM-L6-v2-onnx-int8" in result.stdout
    assert "sla" in result.stdout and "bad lines: 0" in result.stdout


def test_model_info_names_the_shipped_head() -> None:
    result = run("model", "info")
    assert result.returncode == 0, result.stderr
    assert "threshold" in result.stdout and "corpus" in result.stdout
