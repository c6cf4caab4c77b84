"""A tiny HTML structure reader for the tests (stdlib `html.parser`): tags with attributes, the
labels that point at controls, headings."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page(HTMLParser):
    tags: list[Tag] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    _open_labels: int = 0
    _wrapped: set[int] = field(default_factory=set)
    _h1_depth: list[Tag] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        t = Tag(tag, {k: v or "" for k, v in attrs})
        self.tags.append(t)
        if tag == "label":
            self._open_labels += 1
            if "for" in t.attrs:
                self.label_for.add(t.attrs["for"])
        elif self._open_labels and tag in {"input", "select", "textarea"}:
            self._wrapped.add(len(self.tags) - 1)
        if tag in {"h1", "h2", "h3"}:
            self._h1_depth.append(t)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._open_labels:
            self._open_labels -= 1
        if tag in {"h1", "h2", "h3"} and self._h1_depth:
            self._h1_depth.pop()

    def handle_data(self, data: str) -> None:
        for t in self._h1_depth:
            t.text += data

    # --- questions the tests ask ---

    def named(self, name: str) -> list[Tag]:
        return [t for t in self.tags if t.name == name]

    def unlabelled_controls(self) -> list[Tag]:
        out = []
        for i, t in enumerate(self.tags):
            if t.name not in {"input", "select", "textarea"}:
                continue
            if t.attrs.get("type") in {"hidden", "submit", "button"}:
                continue
            if i in self._wrapped or t.attrs.get("aria-label") or t.attrs.get("aria-labelledby"):
                continue
            if t.attrs.get("id") and t.attrs["id"] in self.label_for:
                continue
            out.append(t)
        return out


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p
