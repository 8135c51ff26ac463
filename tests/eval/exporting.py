"""What the exporters of labelled messages into ``content/`` share.

>>> grouped([("late", "running late"), (None, "cheers"), ("late", "Running  late")])
({'late': ['running late']}, ['cheers'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from tests.eval.scoring import same_text

CONTENT = Path(__file__).resolve().parents[2] / "content"


def grouped(labelled: Iterable[tuple[str | None, str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Messages by label (sorted by label), and those with none, each in the order given,
    spacing tidied, without repeats (spacing and case aside)."""
    by_label: dict[str, list[str]] = {}
    unlabelled: list[str] = []
    seen: set[str] = set()
    for label, text in labelled:
        if same_text(text) in seen:
            continue
        seen.add(same_text(text))
        tidy = " ".join(text.split())
        (by_label.setdefault(label, []) if label else unlabelled).append(tidy)
    return dict(sorted(by_label.items())), unlabelled


def write_content(name: str, header: str, data: Mapping[str, object]) -> None:
    """Write ``content/<name>``: the header's comment lines, then ``data`` as YAML."""
    body = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=200)
    (CONTENT / name).write_text(header + body, encoding="utf-8")
