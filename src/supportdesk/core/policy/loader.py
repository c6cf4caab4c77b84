"""Read a policy file, validate it, and explain every problem by line and field."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from supportdesk.core.policy.model import Policy

DEFAULT_POLICY_NAME = "default.yaml"
#: libyaml's safe loader when PyYAML was built with it (the wheels are): the published policy
#: parses in ~11 ms instead of ~120 ms, which every `supportdesk` start pays.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PolicyError(ValueError):
    """A policy file that cannot be used; `problems` lists each one as 'line N, field: message'."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid policy:\n  " + "\n  ".join(problems))


def default_policy_text() -> str:
    return (resources.files("supportdesk.core.policy") / DEFAULT_POLICY_NAME).read_text("utf-8")


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc` (or of its nearest existing parent)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if str(k.value) == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
            if node is not None:
                line = node.start_mark.line + 1
        else:
            break
        if node is None:
            break
    return line


def load_policy_text(text: str, source: str = "<policy>") -> Policy:
    try:
        data = yaml.load(text, Loader=_LOADER)  # a safe loader (C or Python), never the full one
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise PolicyError(
            source, [f"{where}not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from exc
    if not isinstance(data, dict):
        raise PolicyError(source, ["the policy must be a YAML mapping (key: value) at the top"])
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        # the node tree, for line numbers: only when there is a problem to place
        root = yaml.compose(text, Loader=_LOADER)
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or "(top)"
            line = _node_line(root, loc)
            where = f"line {line}, " if line is not None else ""
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}{field}: {msg}")
        raise PolicyError(source, problems) from None


def load_policy(path: Path | str | None = None) -> Policy:
    """The policy in `path`, or the packaged default (the vendor's published policy)."""
    if path is None:
        return _default_policy()
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(p), [f"cannot read the file: {exc}"]) from exc
    return load_policy_text(text, str(p))


@lru_cache(maxsize=1)
def _default_policy() -> Policy:
    return load_policy_text(default_policy_text(), DEFAULT_POLICY_NAME)
