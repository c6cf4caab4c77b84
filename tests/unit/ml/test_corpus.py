from __future__ import annotations

import json
from pathlib import Path

from supportdesk.ml.corpus import is_test, load_corpus, select, select_ids, single_request
from tests.unit.ml.conftest import FIXTURE_CORPUS


def test_fixture_loads_with_bad_lines_reported() -> None:
    corpus = load_corpus(FIXTURE_CORPUS)
    assert len(corpus.items) == 35
    assert len(corpus.bad) == 2
    assert any("not JSON" in b.error for b in corpus.bad)
    assert any("'sales' is not a category" in b.error for b in corpus.bad)
    assert len(single_request(corpus.items)) == 34
    assert len(corpus.sha256) == 64


def test_training_text_is_subject_newline_description() -> None:
    item = load_corpus(FIXTURE_CORPUS).items[0]
    assert item.text == f"{item.ticket['subject']}\n{item.ticket['description']}"


def test_split_is_stable_and_about_a_fifth() -> None:
    ids = [f"c-{i:04d}" for i in range(2000)]
    share = sum(is_test(i) for i in ids) / len(ids)
    assert 0.17 < share < 0.23
    assert [is_test(i) for i in ids] == [is_test(i) for i in ids]
    assert select_ids(ids, "test") | select_ids(ids, "train") == set(ids)
    assert not select_ids(ids, "test") & select_ids(ids, "train")


def test_adding_lines_never_moves_existing_ones(tmp_path: Path) -> None:
    corpus = load_corpus(FIXTURE_CORPUS)
    before = {it.id for it in select(corpus.items, "test")}
    extra = tmp_path / "corpus"
    extra.mkdir()
    src = (FIXTURE_CORPUS / "tiny.jsonl").read_text()
    row = json.loads(src.splitlines()[0])
    new_lines = [json.dumps({**row, "id": f"new-{i}"}) for i in range(50)]
    (extra / "a.jsonl").write_text(src)
    (extra / "b.jsonl").write_text("\n".join(new_lines) + "\n")
    grown = load_corpus(extra)
    after = {it.id for it in select(grown.items, "test")}
    assert before == {i for i in after if not i.startswith("new-")}
    assert grown.sha256 != corpus.sha256


def test_duplicate_ids_are_bad_lines(tmp_path: Path) -> None:
    line = (FIXTURE_CORPUS / "tiny.jsonl").read_text().splitlines()[0]
    (tmp_path / "dup.jsonl").write_text(line + "\n" + line + "\n")
    corpus = load_corpus(tmp_path)
    assert len(corpus.items) == 1
    assert "duplicate id" in corpus.bad[0].error
