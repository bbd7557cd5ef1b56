"""docs/bad_inputs.md from corpus.yaml: ``python tests/bad_inputs/render.py`` rewrites it."""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.yaml"
DOC = HERE.parents[1] / "docs" / "bad_inputs.md"
MEANING = {0: "read", 1: "internal error", 2: "refused: data quality", 3: "refused: input missing"}


def cases() -> list[dict]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["cases"]


def _args(case: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (case.get("args") or {}).items())


def markdown(corpus: list[dict]) -> str:
    lines = [
        "# Bad inputs: what a run does with them",
        "",
        "Generated from `tests/bad_inputs/corpus.yaml` by `python tests/bad_inputs/render.py`; "
        "`tests/test_bad_inputs.py` runs every case through `python -m helpers.pipeline check` (the same "
        "reading and gates as a scheduled run) and checks this page is current.",
        "",
        "Each case spoils one shipped sample file (`data/raw/<source>/`) as named. *Exit* is the code the "
        "check and the run return; *message* is a regular expression the message must match (for a file "
        "that is read, the stage's summary). No message may contain an NHS number.",
        "",
        "| source | case | change to the sample | exit | message (regular expression) |",
        "|---|---|---|---|---|",
    ]
    for c in corpus:
        change = f"`{c['mutation']}({_args(c)})` on `{c['file']}`".replace("|", "\\|")
        message = c["message"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {c['source']} | {c['name']} | {change} | {c['exit']} ({MEANING[c['exit']]}) | `{message}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(markdown(cases()), encoding="utf-8")
    print(f"wrote {DOC}")
