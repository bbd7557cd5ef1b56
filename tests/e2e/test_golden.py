"""The back test: the edition the samples give now is the one recorded in tests/golden/ (support/golden.py).

A failure here means a figure or a page's words changed. If that was intended, run ``make golden``
and review the diff of tests/golden/ with the change.
"""

from __future__ import annotations

import difflib

from support import golden


def test_processed_tables_are_as_recorded(published_sample):
    project, _ = published_sample
    expected, found = golden.read()["tables"], golden.record(project)["tables"]
    missing = sorted(set(expected) - set(found))
    assert not missing, f"tables no longer written: {missing}"
    changed = {name: (expected[name], found[name]) for name in expected if found[name] != expected[name]}
    assert not changed, f"tables whose values changed: {sorted(changed)}; first: {next(iter(changed.items()))}"


def test_published_pages_read_as_recorded(published_sample):
    project, _ = published_sample
    expected, found = golden.read(), golden.record(project)
    assert sorted(found["pages"]) == sorted(expected["pages"])
    for name, lines in expected["pages"].items():
        diff = list(difflib.unified_diff(lines, found["pages"][name], "recorded", "now", lineterm="", n=1))
        assert not diff, f"{name} reads differently:\n" + "\n".join(diff[:40])
    assert found["packs"] == expected["packs"], sorted(
        name for name in set(expected["packs"]) | set(found["packs"])
        if expected["packs"].get(name) != found["packs"].get(name))
