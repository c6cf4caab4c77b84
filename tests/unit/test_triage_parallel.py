"""`triage_parallel`: the decisions of `triage_many`, from forked workers."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import TextSignals, TicketIn, prepare, texts_to_score, triage_many
from supportdesk.triage_parallel import CHUNK, MIN_PER_WORKER, triage_parallel

from .triage.helpers import NOW

POLICY = load_policy()
CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


def corpus_tickets(n: int) -> list[TicketIn]:
    rows = []
    for line in (CORPUS / "part-a.jsonl").read_text(encoding="utf-8").splitlines()[:n]:
        row = json.loads(line)
        row.pop("expected", None)
        rows.append(TicketIn.model_validate(row))
    return rows


class HashModel:
    """Category and severity signals that follow the text (a sha256 of it), so a decision moves
    when the model's answer for a text does; records the texts it is asked about in this
    process, and says it `knows` texts as told."""

    name = "hash"

    def __init__(self, knows: bool, fail_on: str | None = None) -> None:
        self.asked: list[str] = []
        self._knows = knows
        self.fail_on = fail_on

    def knows(self, texts: Sequence[str]) -> bool:
        return self._knows

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        self.asked.extend(texts)
        out = []
        for text in texts:
            if self.fail_on and self.fail_on in text:
                raise ValueError(f"cannot score {self.fail_on}")
            digest = hashlib.sha256(text.encode()).digest()
            cats = list(POLICY.categories)
            best = cats[digest[0] % len(cats)]
            out.append(
                TextSignals(
                    category={c: (0.9 if c == best else 0.1 / (len(cats) - 1)) for c in cats},
                    severity={1 + digest[1] % 3: 0.95},
                )
            )
        return out


def test_workers_decide_as_one_process_does_asking_the_parent_for_unknown_texts() -> None:
    tickets = corpus_tickets(3 * MIN_PER_WORKER)
    expected = triage_many(tickets, POLICY, NOW, HashModel(knows=True))
    model = HashModel(knows=False)
    got = triage_parallel(tickets, POLICY, NOW, model, workers=3)
    assert got == expected
    # The workers could not score their texts themselves: this process did, for every slice.
    last = prepare(tickets[-1], POLICY)
    assert set(texts_to_score(last)) <= set(model.asked)


def test_known_texts_are_scored_in_the_workers() -> None:
    tickets = corpus_tickets(2 * MIN_PER_WORKER)
    model = HashModel(knows=True)
    got = triage_parallel(tickets, POLICY, NOW, model, workers=2)
    assert got == triage_many(tickets, POLICY, NOW, HashModel(knows=True))
    # The worker starts with the second chunk; the others go to whoever is free first.
    first = tickets[CHUNK : 2 * CHUNK]
    rest = tickets[:CHUNK] + tickets[2 * CHUNK :]
    own = {t for x in rest for t in texts_to_score(prepare(x, POLICY))}
    theirs = {t for x in first for t in texts_to_score(prepare(x, POLICY))}
    assert theirs - own, "the worker's first chunk has texts of its own"
    assert not (set(model.asked) & (theirs - own))


def test_the_chunks_come_back_in_input_order_whoever_decides_them() -> None:
    tickets = corpus_tickets(3 * MIN_PER_WORKER + 5)  # a last chunk shorter than the others
    expected = triage_many(tickets, POLICY, NOW, HashModel(knows=True))
    for workers in (2, 3):
        got = triage_parallel(tickets, POLICY, NOW, HashModel(knows=True), workers=workers)
        assert [d.id for d in got] == [t.id for t in tickets]
        assert got == expected


@pytest.mark.parametrize("knows", [True, False])
def test_a_worker_failure_is_raised_here(knows: bool) -> None:
    tickets = corpus_tickets(2 * MIN_PER_WORKER)
    marker = "Zyxwv"
    tickets[-1] = tickets[-1].model_copy(update={"description": f"{marker} is down."})
    with pytest.raises(ValueError, match=f"cannot score {marker}"):
        triage_parallel(tickets, POLICY, NOW, HashModel(knows=knows, fail_on=marker), workers=2)


class Dies(HashModel):
    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        if any("Zyxwv" in t for t in texts):
            os._exit(3)  # as a worker killed by the system would
        return super().predict(texts)


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    tickets = corpus_tickets(2 * MIN_PER_WORKER)
    # in the worker's first chunk: it is the worker's whoever is faster (here it would end us)
    tickets[CHUNK] = tickets[CHUNK].model_copy(update={"description": "Zyxwv is down."})
    with pytest.raises(RuntimeError, match="worker died"):
        triage_parallel(tickets, POLICY, NOW, Dies(knows=True), workers=2)


def test_a_small_batch_stays_in_this_process() -> None:
    tickets = corpus_tickets(MIN_PER_WORKER + 10)
    model = HashModel(knows=False)
    got = triage_parallel(tickets, POLICY, NOW, model, workers=2)
    assert got == triage_many(tickets, POLICY, NOW, HashModel(knows=True))
    every = {t for x in tickets for t in texts_to_score(prepare(x, POLICY))}
    assert every <= set(model.asked)
