"""Which texts the model is asked about: a split ticket's whole text only when it is needed."""

from __future__ import annotations

from collections.abc import Sequence

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import TextSignals, prepare, texts_to_score, triage, triage_many
from supportdesk.core.triage.engine import score_all, whole_needed

from .helpers import MIXED, NOW, ticket

POLICY = load_policy()

ONE_PROBLEM = (
    "Every workflow in tenant Prairie Vets fails since 9am with error 500. "
    "Separately, the same workflows also time out when we retry them by hand."
)


class Recorder:
    """A model with no opinion that remembers every text it was asked about."""

    name = "recorder"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        self.asked.extend(texts)
        return [TextSignals() for _ in texts]


def test_a_ticket_in_one_piece_is_read_whole_once() -> None:
    t = ticket("Why did our credits drop so fast yesterday?", subject="Credits")
    model = Recorder()
    triage(t, POLICY, NOW, model)
    assert model.asked == ["Credits\nWhy did our credits drop so fast yesterday?"]


def test_a_ticket_split_in_two_requests_is_never_read_whole() -> None:
    p = prepare(ticket(MIXED), POLICY)
    assert len(p.pieces) == 2 and texts_to_score(p) == p.pieces
    model = Recorder()
    d = triage(ticket(MIXED), POLICY, NOW, model)
    assert len(d.requests) == 2
    assert model.asked == p.pieces


def test_pieces_of_one_request_are_then_read_whole_and_batches_agree() -> None:
    p = prepare(ticket(ONE_PROBLEM), POLICY)
    model = Recorder()
    d = triage(ticket(ONE_PROBLEM), POLICY, NOW, model)
    assert len(p.pieces) == 2 and len(d.requests) == 1
    assert model.asked == [*p.pieces, p.whole]
    assert whole_needed(p, POLICY, {t: TextSignals() for t in p.pieces}, model)
    tickets = [ticket(MIXED), ticket(ONE_PROBLEM), ticket("How do I add a tenant?")]
    batch = Recorder()
    scored = score_all([prepare(t, POLICY) for t in tickets], POLICY, batch)
    assert set(batch.asked) == set(scored)
    assert len(batch.asked) == len(set(batch.asked))  # each text once
    one_by_one = [triage(t, POLICY, NOW, Recorder()) for t in tickets]
    assert triage_many(tickets, POLICY, NOW, Recorder()) == one_by_one
