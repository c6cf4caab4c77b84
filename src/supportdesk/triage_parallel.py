"""A batch of tickets decided on several cores: `triage_parallel`.

Each decision is independent of the others, so a batch splits into contiguous slices, one per
worker process. The workers are forked: they start with the parent's policy, model and tickets
already in memory (nothing is pickled on the way in), decide their slice with `triage_many`, and
send the decisions back as JSON, which the parent reads back into `TriageDecision`s (a JSON round
trip costs a fraction of pickling the models).

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
from collections.abc import Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any, cast

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
#: tickets this process decides between two looks at the workers' model calls
STEP = 64

# The batch a forked worker reads (set just before forking, cleared after).
_JOB: tuple[Sequence[TicketIn], Policy, datetime, TextModel] | None = None


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
    (default: one per core): this one decides the first slice, forked workers the others. An
    exception raised while deciding is raised here."""
    global _JOB
    model = model or RulesOnlyModel()
    n = min(workers or default_workers(), len(tickets) // MIN_PER_WORKER)
    if n < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return triage_many(tickets, policy, now, model)
    ctx = multiprocessing.get_context("fork")
    bounds = [len(tickets) * i // n for i in range(n + 1)]
    _JOB = (tickets, policy, now, model)
    gc.freeze()  # a worker's collections then skip (and so do not copy) the parent's objects
    conns: dict[Connection, int] = {}
    procs = []
    try:
        for i in range(1, n):
            parent_end, worker_end = ctx.Pipe()
            conns[parent_end] = i
            # The worker closes this process's ends of every pipe (its copies would keep them
            # open: a worker waiting for an answer would never hear that this process is gone).
            job = (worker_end, list(conns), bounds[i], bounds[i + 1])
            proc = ctx.Process(target=_work, args=job, daemon=True)
            proc.start()
            worker_end.close()
            procs.append(proc)
    finally:
        _JOB = None
        gc.unfreeze()
    try:
        sent: dict[int, list[str]] = {}
        ours = _own_slice(tickets[: bounds[1]], policy, now, model, conns, sent)
        _serve(conns, model, sent, block=True)
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    return ours + [
        TriageDecision.model_validate_json(line) for i in range(1, n) for line in sent[i]
    ]


def _own_slice(
    tickets: Sequence[TicketIn],
    policy: Policy,
    now: datetime,
    model: TextModel,
    conns: dict[Connection, int],
    sent: dict[int, list[str]],
) -> list[TriageDecision]:
    """This process's slice, decided in steps of `STEP` tickets with the workers' model calls
    answered in between (a worker never waits longer than one step)."""
    done: list[TriageDecision] = []
    for lo in range(0, len(tickets), STEP):
        done += triage_many(tickets[lo : lo + STEP], policy, now, model)
        _serve(conns, model, sent, block=False)
    return done


def _serve(
    conns: dict[Connection, int],
    model: TextModel,
    slices: dict[int, list[str]],
    *,
    block: bool,
) -> None:
    """Answer the workers' model calls and put the decisions they send in `slices` (by worker
    number); with `block`, until every worker has sent them, else only what is waiting."""
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
            elif kind == "done":
                slices[conns[conn]] = payload
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


def _work(conn: Connection, parent_ends: list[Connection], lo: int, hi: int) -> None:
    for end in parent_ends:
        end.close()
    assert _JOB is not None
    tickets, policy, now, model = _JOB
    try:
        decisions = triage_many(tickets[lo:hi], policy, now, _AskParent(model, conn))
        answer: tuple[str, Any] = ("done", [d.model_dump_json() for d in decisions])
    except EOFError:  # the parent stopped (it raised): nobody is listening
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
