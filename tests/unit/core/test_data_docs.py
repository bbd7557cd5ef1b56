"""GX Data Docs show text from the data as text: a name holding markup cannot run in a reader's browser."""

from __future__ import annotations

import json
import re

import pandas as pd

from helpers.core import quality

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
# a script element opened by the data (GX's own pages load scripts from files, with no inline alert)
RUNNABLE = re.compile(r"<script[^>]*>\s*alert", re.IGNORECASE)


def test_escaped_for_docs_escapes_data_and_keeps_what_gx_looks_up():
    stored = {
        "suite_name": "s", "success": False,
        "meta": {"data_name": f"/in/{SCRIPT}.csv", "run_name": "pipeline"},
        "results": [{
            "success": False,
            "expectation_config": {"type": "expect_column_values_to_be_in_set",
                                   "kwargs": {"column": "name", "value_set": ["A", "B&C"], "mostly": 0.9}},
            "result": {"unexpected_count": 2, "unexpected_percent": 50.0,
                       "partial_unexpected_list": [SCRIPT, FORMULA],
                       "partial_unexpected_counts": [{"value": SCRIPT, "count": 1}]},
            "exception_info": {"raised_exception": False, "exception_message": None},
        }],
    }
    before = json.dumps(stored)
    out = quality.escaped_for_docs(stored)
    assert json.dumps(stored) == before, "the stored result itself is not changed"
    item = out["results"][0]
    assert item["expectation_config"]["type"] == "expect_column_values_to_be_in_set"
    assert item["expectation_config"]["kwargs"] == {"column": "name", "value_set": ["A", "B&amp;C"], "mostly": 0.9}
    assert item["result"]["partial_unexpected_list"] == ["&lt;script&gt;alert(1)&lt;/script&gt;",
                                                         "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"]
    assert item["result"]["partial_unexpected_counts"] == [{"value": "&lt;script&gt;alert(1)&lt;/script&gt;",
                                                            "count": 1}]
    assert item["result"]["unexpected_count"] == 2 and item["exception_info"]["raised_exception"] is False
    assert out["meta"] == {"data_name": "/in/&lt;script&gt;alert(1)&lt;/script&gt;.csv", "run_name": "pipeline"}


def test_data_docs_show_markup_from_the_data_as_text(tmp_path):
    """Unexpected values and a file's own column names reach the validation page escaped."""
    (tmp_path / "expectations").mkdir()
    suite = {"name": "names.raw", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "name", "value_set": ["Good Practice"]},
         "severity": "warning"},
        {"type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": ["name", "count"]},
         "severity": "warning"},
    ]}
    (tmp_path / "expectations" / "names.raw.json").write_text(json.dumps(suite), encoding="utf-8")
    frame = pd.DataFrame({"name": [SCRIPT, FORMULA, "Good Practice"], "count": [1, 2, 3], SCRIPT: [0, 0, 0]})
    outcome = quality.validate(frame, "names.raw", data_name="names.csv", results_dir=tmp_path / "results",
                               root=tmp_path)
    assert len(outcome.warnings) == 2  # both fail, so GX renders their unexpected and observed values
    quality.build_data_docs(tmp_path / "results", tmp_path / "site", tmp_path)
    pages = {p: p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html")}
    validation = [text for p, text in pages.items() if "validations" in p.parts]
    assert len(validation) == 1
    assert validation[0].count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # a value and a column name, shown
    assert "&amp;lt;" not in validation[0]  # escaped once, not twice
    assert [p for p, text in pages.items() if RUNNABLE.search(text)] == []
