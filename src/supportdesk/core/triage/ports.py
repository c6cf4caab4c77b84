"""The one port the triage core talks through: a statistical text model.

The core never imports a machine-learning runtime. It asks a `TextModel` for signals about pieces
of text and combines them with the policy's hard rules. `supportdesk.ml` ships the real model (a
sentence embedding run through onnxruntime plus a trained linear head); `RulesOnlyModel` below is
the fake that answers nothing, so the core can be tested and run with its rules alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class TextSignals:
    """What a model says about one piece of text.

    `category` maps category names to probabilities (summing to 1) and `severity` maps 1..3 to
    probabilities; either may be empty when the model has no opinion.
    """

    category: dict[str, float] = field(default_factory=dict)
    severity: dict[int, float] = field(default_factory=dict)

    def best_category(self) -> tuple[str | None, float]:
        if not self.category:
            return None, 0.0
        name = max(self.category, key=self.category.__getitem__)
        return name, self.category[name]


class TextModel(Protocol):
    """Scores texts; `name` appears in decision reasons so an agent knows what spoke."""

    name: str

    def predict(self, texts: Sequence[str]) -> list[TextSignals]: ...


class QuickTextModel(TextModel, Protocol):
    """A model that can also answer cheaply: category signals without its costly part (for the
    shipped model: the lexical head without the sentence embedding). The core uses them for the
    many short texts of a split search, where embedding each would cost more than the rest of
    the decision."""

    def predict_quick(self, texts: Sequence[str]) -> list[TextSignals]: ...


class RequestCountModel(TextModel, Protocol):
    """A model that reads how many requests a whole message holds: the probability that it
    holds more than one (None: no opinion). The core consults it where the policy's markers cut
    a message into requests for different teams (`Splitting.one_request_below`)."""

    def several_requests(self, texts: Sequence[str]) -> list[float | None]: ...


class BoundaryModel(TextModel, Protocol):
    """A model that reads where, between a message's sentences, a second request begins: for
    each sentence after the first, the probability that a new request starts there (None: no
    opinion). The core consults it where the policy's markers cut a message into requests for
    different teams (a brake), and where nothing cut a message (a cut of its own):
    `Splitting.boundary`."""

    def request_boundaries(self, sentences: Sequence[str]) -> list[float] | None: ...


class SplitCheckModel(TextModel, Protocol):
    """A model that checks a proposed split: given the whole message, its sentences (as the
    policy cuts them for `BoundaryModel`), the texts of the proposed requests and how they were
    found (`markers`, `model`, `ask` or `boundary`), the probability that the message really
    holds several requests (None: no opinion). The core consults it after every cut
    (`Splitting.split_check_below`)."""

    def split_holds(
        self, whole: str, sentences: Sequence[str], parts: Sequence[str], how: str
    ) -> float | None: ...


class KnowingTextModel(TextModel, Protocol):
    """A model that can tell whether `predict` would run its costly part for these texts (for
    the shipped model: whether every sentence embedding is cached). A forked batch worker
    answers known texts itself and sends the others to the process that owns the model."""

    def knows(self, texts: Sequence[str]) -> bool: ...


class RulesOnlyModel:
    """A model with no opinion: triage then rests on the policy rules alone."""

    name = "rules-only"

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        return [TextSignals() for _ in texts]

    def knows(self, texts: Sequence[str]) -> bool:
        """Always: answering costs nothing (see `KnowingTextModel`)."""
        return True
