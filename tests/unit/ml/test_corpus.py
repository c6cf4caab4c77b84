from __future__ import annotations

import json
from pathlib import Path

from supportdesk.ml.corpus import (
    is_test,
    line_start,
    load_corpus,
    select,
    select_ids,
    single_request,
)
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


def _two_request_line(starts: object, *, drop: bool = False) -> str:
    row = json.loads((FIXTURE_CORPUS / "tiny.jsonl").read_text().splitlines()[34])
    assert len(row["expected"]["requests"]) == 2
    if drop:
        del row["expected"]["request_starts"]
    else:
        row["expected"]["request_starts"] = starts
    return json.dumps(row)


def test_a_two_request_line_says_where_its_second_request_begins(tmp_path: Path) -> None:
    (tmp_path / "ok.jsonl").write_text(_two_request_line(["2) Invoice 8812"]) + "\n")
    corpus = load_corpus(tmp_path)
    assert not corpus.bad
    item = corpus.items[0]
    assert item.request_starts is not None
    (at,) = item.request_starts
    assert item.ticket["description"][at:].startswith("2) Invoice 8812")
    (tmp_path / "ok.jsonl").write_text(_two_request_line(None) + "\n")
    woven = load_corpus(tmp_path)
    assert not woven.bad and woven.items[0].request_starts is None


def test_request_starts_that_do_not_fit_the_line_are_bad_lines(tmp_path: Path) -> None:
    cases = {
        "missing": _two_request_line(None, drop=True),
        "absent": _two_request_line(["a refund for invoice 9"]),
        "twice": _two_request_line(["2"]),
        "first": _two_request_line(["1) Why did tenant"]),
        "count": _two_request_line(["2) Invoice", "pack nobody"]),
        "type": _two_request_line("2) Invoice 8812"),
    }
    for name, line in cases.items():
        (tmp_path / "x.jsonl").write_text(line + "\n")
        corpus = load_corpus(tmp_path)
        assert not corpus.items, name
        assert "request_starts" in corpus.bad[0].error, (name, corpus.bad[0].error)
    assert "occurs 0 times" in _first_error(tmp_path, cases["absent"])
    assert "very start" in _first_error(tmp_path, cases["first"])
    single = json.loads((FIXTURE_CORPUS / "tiny.jsonl").read_text().splitlines()[0])
    single["expected"]["request_starts"] = None
    assert "several requests" in _first_error(tmp_path, json.dumps(single))


def _first_error(where: Path, line: str) -> str:
    (where / "x.jsonl").write_text(line + "\n")
    return load_corpus(where).bad[0].error


def test_a_request_start_after_a_list_marker_or_chat_speaker_marks_the_line() -> None:
    text = (
        "Two things.\n[10:03] Omar (Cedarline): and what would it cost?\n"
        "- The invoice is wrong\nHugh: while I have you\nplain words and more"
    )
    for words, line in [
        ("and what would", "[10:03] Omar"),
        ("The invoice", "- The invoice"),
        ("while I have", "Hugh: while"),
    ]:
        assert text[line_start(text, text.index(words)) :].startswith(line)
    # inside a sentence, or after words that are no prefix, the mark stays where it is
    for words in ("and more", "would it cost", "Two things"):
        assert line_start(text, text.index(words)) == text.index(words)
