"""A batch of tickets decided on several cores: `triage_parallel`.

Each decision is independent of the others, so a batch is dealt out in chunks of `CHUNK`
tickets to this process and forked workers: process i starts with chunk i, and each then takes
the next chunk nobody has taken (a shared counter), so a process the machine slows down simply
takes fewer. The workers are forked: they start with the parent's policy, model and tickets
already in memory (nothing is pickled on the way in), decide each chunk with `triage_many`, and
send its decisions back as one JSON array, which the parent reads back into `TriageDecision`s
between two of its own chunks (a JSON round trip costs a fraction of pickling the models).

The text model is the one part a worker must not run itself: the sentence embedding runs in
onnxruntime, whose thread pool does not survive a fork. A worker answers `predict` itself only
when the model says the texts are already known (`knows`: every vector cached, so the network
would not run); otherwise it sends the texts to the parent, which runs the model and sends the
signals back. A policy replay over known texts thus never leaves the workers, and a batch of new
texts embeds in the parent while the workers split and decide.

Forking is safe here because the parent is single-threaded at that point (the CLI and the
benchmarks); a multi-threaded server should call `triage_many` instead. Where the platform cannot
fork, or the batch is small, `triage_parallel` is `triage_many`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from pydantic import TypeAdapter

from supportdesk.core.policy import Policy
from supportdesk.core.triage import TicketIn, TriageDecision, triage_many
from supportdesk.core.triage.ports import (
    KnowingTextModel,
    RulesOnlyModel,
    TextModel,
    TextSignals,
)

#: below this many tickets per worker, forking costs more than it saves
MIN_PER_WORKER = 64
#: tickets a process decides in one go: the batch is dealt out in chunks of this many, each
#: process taking the next one when it is done with its last (a process slowed down by the
#: machine takes fewer), and this process answers the workers' calls between two of its own
CHUNK = 16

# The batch a forked worker reads (set just before forking, cleared after).
_JOB: tuple[Sequence[TicketIn], Policy, datetime, TextModel, Any] | None = None
#: how a worker's decisions travel back: one JSON array per chunk (a JSON round trip costs a
#: fraction of pickling the models, and one call reads a whole chunk)
_DECISIONS: TypeAdapter[list[TriageDecision]] = TypeAdapter(list[TriageDecision])


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def triage_parallel(
    tickets: Sequence[TicketIn],
    policy: Policy,
    now: datetime,
    model: TextModel | None = None,
    *,
    workers: int | None = None,
) -> list[TriageDecision]:
    """The decisions `triage_many` gives, in input order, computed by `workers` processes
    (default: one per core): this one and forked workers, `CHUNK` tickets at a time. Process i
    starts with chunk i, then each takes the next chunk nobody has taken. An exception raised
    while deciding is raised here."""
    global _JOB
    model = model or RulesOnlyModel()
    n = min(workers or default_workers(), len(tickets) // MIN_PER_WORKER)
    if n < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return triage_many(tickets, policy, now, model)
    ctx = multiprocessing.get_context("fork")
    taken = ctx.Value("l", n)  # the next chunk nobody has taken (0 .. n-1 are dealt out)
    _JOB = (tickets, policy, now, model, taken)
    gc.freeze()  # a worker's collections then skip (and so do not copy) the parent's objects
    conns: dict[Connection, int] = {}
    procs = []
    try:
        for i in range(1, n):
            parent_end, worker_end = ctx.Pipe()
            conns[parent_end] = i
            # The worker closes this process's ends of every pipe (its copies would keep them
            # open: a worker waiting for an answer would never hear that this process is gone).
            job = (worker_end, list(conns), i)
            proc = ctx.Process(target=_work, args=job, daemon=True)
            proc.start()
            worker_end.close()
            procs.append(proc)
    finally:
        _JOB = None
        gc.unfreeze()
    done: dict[int, list[TriageDecision]] = {}
    try:
        for chunk, part in _chunks(tickets, 0, taken):
            done[chunk] = triage_many(part, policy, now, model)
            _serve(conns, model, done, block=False)
        _serve(conns, model, done, block=True)
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    return [d for chunk in sorted(done) for d in done[chunk]]


def _chunks(
    tickets: Sequence[TicketIn], first: int, taken: Any
) -> Iterator[tuple[int, Sequence[TicketIn]]]:
    """(chunk number, its tickets) for one process: chunk `first`, then each next chunk nobody
    has taken (`taken`, shared by all processes), until the batch is dealt out."""
    chunk = first
    while chunk * CHUNK < len(tickets):
        yield chunk, tickets[chunk * CHUNK : (chunk + 1) * CHUNK]
        with taken.get_lock():
            chunk = int(taken.value)
            taken.value = chunk + 1


def _serve(
    conns: dict[Connection, int],
    model: TextModel,
    done: dict[int, list[TriageDecision]],
    *,
    block: bool,
) -> None:
    """Answer the workers' model calls and put the chunks they decided in `done` (by chunk
    number); with `block`, until every worker has finished, else only what is waiting."""
    pending = {c for c in conns if not c.closed}
    while pending:
        ready = wait(list(pending), timeout=None if block else 0)
        if not ready:
            break
        for conn in ready:
            assert isinstance(conn, Connection)
            try:
                kind, payload = conn.recv()
            except EOFError:
                raise RuntimeError("a triage worker died before sending its decisions") from None
            if kind == "predict":
                conn.send(model.predict(payload))
            elif kind == "chunk":
                chunk, decisions = payload
                done[chunk] = _DECISIONS.validate_json(decisions)
            elif kind == "done":
                pending.discard(conn)
                conn.close()
            else:  # "error": the worker's exception, raised here as triage_many would
                raise payload


class _AskParent:
    """The model as a worker sees it: `predict` runs here when the model knows the texts
    (`KnowingTextModel`), in the parent otherwise (always, for a model that cannot tell);
    everything else (`name`, `predict_quick`, thresholds) is the model's."""

    def __init__(self, model: TextModel, conn: Connection) -> None:
        self._model = model
        self._conn = conn
        self._knows: Callable[[Sequence[str]], bool] | None = (
            cast(KnowingTextModel, model).knows if callable(getattr(model, "knows", None)) else None
        )
        self.name = model.name

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        if self._knows is not None and self._knows(texts):
            return self._model.predict(texts)
        self._conn.send(("predict", list(texts)))
        answer: list[TextSignals] = self._conn.recv()
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def _work(conn: Connection, parent_ends: list[Connection], first: int) -> None:
    for end in parent_ends:
        end.close()
    assert _JOB is not None
    tickets, policy, now, model, taken = _JOB
    asking = _AskParent(model, conn)
    try:
        for chunk, part in _chunks(tickets, first, taken):
            decisions = triage_many(part, policy, now, asking)
            conn.send(("chunk", (chunk, _DECISIONS.dump_json(decisions))))
        answer: tuple[str, Any] = ("done", None)
    except (EOFError, BrokenPipeError):  # the parent stopped (it raised): nobody is listening
        return
    except Exception as exc:  # sent to the parent, which raises it
        answer = ("error", exc)
    try:
        conn.send(answer)
    except OSError:  # the parent stopped meanwhile
        pass
    except Exception:  # an exception that cannot be pickled: its text then
        conn.send(("error", RuntimeError(f"a triage worker failed: {answer[1]!r}")))
    finally:
        conn.close()
