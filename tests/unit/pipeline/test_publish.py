"""Publishing is atomic, keeps earlier editions, prunes by the retention setting, escapes text."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import support
from helpers.core import provenance
from helpers.pipeline import publish
from helpers.render import html

ROOT = support.ROOT
PROVENANCE = {"periods": ["2026-01"], "code_version": "test", "synthetic_inputs": True,
              "inputs": [{"file": "x.csv", "bytes": 1, "sha256": "ab" * 32}]}


def executed_notebook(path: Path, body_html: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("icb = 'QE1'")
    params.metadata["tags"] = ["injected-parameters"]
    shown = nbformat.v4.new_code_cell("rr.section(ctx)")
    shown.outputs = [nbformat.v4.new_output("display_data", data={"text/html": body_html, "text/plain": "<HTML>"}),
                     nbformat.v4.new_output("stream", name="stderr", text="a warning\n")]
    nb.cells = [params, shown]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def site(tmp_path, monkeypatch):
    def data_docs(results, site_dir, root=None, **kw):
        site_dir.mkdir()
        (site_dir / "index.html").write_text("<html>docs</html>")
    monkeypatch.setattr(publish.quality, "build_edition_docs", data_docs)
    report = executed_notebook(tmp_path / "20_report_rtt.ipynb", "<h1>Report</h1><p>figures</p>")

    def run(**kw):
        documents = [publish.Document("Waiting times", "rtt-waiting-times.html", report)]
        return publish.publish(ROOT, reports=tmp_path / "reports", documents=documents, executed=[report],
                               title="T", validation_dir=tmp_path, provenance=PROVENANCE, **kw)
    return tmp_path / "reports", run


def test_board_page_hides_parameters_code_and_stderr(site):
    reports, run = site
    edition = run()
    page = (edition / "rtt-waiting-times.html").read_text()
    assert "figures" in page and "SYNTHETIC DATA" in page
    assert "icb = " not in page and "rr.section" not in page and "a warning" not in page


def test_a_report_page_links_to_its_edition_index_and_provenance(site):
    from bs4 import BeautifulSoup

    _, run = site
    edition = run()
    masthead = BeautifulSoup((edition / "rtt-waiting-times.html").read_text(), "html.parser").header
    hrefs = [a["href"] for a in masthead.find_all("a")]
    assert hrefs == ["index.html", "provenance.json"] and all((edition / h).is_file() for h in hrefs)
    assert 'href="provenance.json"' in (edition / "index.html").read_text()


def test_index_and_latest_point_at_the_new_edition_and_list_earlier_ones(site):
    reports, run = site
    first, second = run(), run()
    assert (reports / "latest").resolve() == second.resolve()
    index = (reports / "index.html").read_text()
    assert f"editions/{second.name}/rtt-waiting-times.html" in index
    assert f"editions/{first.name}/index.html" in index
    # the edition is also reached as latest/, so its own index links only inside itself
    from helpers.pipeline import integrity
    assert all(not link.startswith(("../", "/")) for link in integrity.local_links(second / "index.html"))
    assert integrity.reports_problems(reports) == []
    assert publish.edition_label(first.name) in index


def test_editions_are_labelled_by_data_month_and_publication_time():
    assert (publish.edition_label("2026-01_20260302T091500123456Z")
            == "Data to January 2026, published 2 March 2026 09:15:00 UTC")
    assert publish.edition_label("unknown_20260302T091500123456Z").startswith("Data to unknown, published 2 March")
    assert publish.edition_label("hand-made") == "hand-made"


def test_an_edition_is_complete_with_its_index_before_it_is_renamed_into_place(site, monkeypatch):
    reports, run = site
    seen = []
    rename = os.rename

    def watching(src, dst):
        if Path(src).name.startswith(publish.STAGING):
            seen.append(((Path(src) / "index.html").is_file(), (Path(src) / "rtt-waiting-times.html").is_file(),
                         (reports / "index.html").exists()))
        rename(src, dst)
    monkeypatch.setattr(publish.os, "rename", watching)
    run()
    assert seen == [(True, True, False)]  # whole, index included, before any index points at it


def test_publishing_steps_run_in_a_crash_safe_order(site, monkeypatch):
    """Edition renamed in whole, then latest, then the index, and only then old editions removed."""
    reports, run = site
    old = run(keep=1)
    steps = []
    rename, swap, write, rmtree = os.rename, publish._swap_symlink, publish.write_text, publish.shutil.rmtree
    monkeypatch.setattr(publish.os, "rename",
                        lambda a, b: (steps.append(("rename", Path(a).name, Path(b).name)), rename(a, b)))
    monkeypatch.setattr(publish, "_swap_symlink", lambda link, target: (steps.append(("latest", target)), swap(link, target)))
    monkeypatch.setattr(publish, "write_text", lambda path, text: (steps.append(("write", path.name)), write(path, text)))
    monkeypatch.setattr(publish.shutil, "rmtree",
                        lambda path, **kw: (steps.append(("delete", Path(path).name)), rmtree(path, **kw)))
    new = run(keep=1)
    assert steps == [("rename", f"{publish.STAGING}{new.name}", new.name),
                     ("latest", f"editions/{new.name}"),
                     ("write", "index.html"),
                     ("rename", old.name, f"{publish.DELETING}{old.name}"),
                     ("delete", f"{publish.DELETING}{old.name}")]


def test_the_index_never_links_an_edition_that_retention_removes(site):
    from helpers.pipeline import integrity
    reports, run = site
    for _ in range(4):
        run(keep=2)
        assert integrity.reports_problems(reports) == []
    index = (reports / "index.html").read_text()
    assert index.count('href="editions/') == len(integrity.local_links(reports / "index.html"))
    listed = {link.split("/")[1] for link in integrity.local_links(reports / "index.html")}
    assert listed == {p.name for p in (reports / "editions").iterdir()}


def test_a_prune_stopped_part_way_leaves_no_browsable_half_edition(site, monkeypatch):
    reports, run = site
    first = run(keep=1)
    rmtree = publish.shutil.rmtree

    def killed_midway(path, **kw):  # deletes one file, then the process dies
        if Path(path).name.startswith(publish.DELETING):
            next(p for p in Path(path).rglob("*") if p.is_file()).unlink()
            raise KeyboardInterrupt
        rmtree(path, **kw)
    monkeypatch.setattr(publish.shutil, "rmtree", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        run(keep=1)
    names = sorted(p.name for p in (reports / "editions").iterdir())
    assert names[0] == f"{publish.DELETING}{first.name}" and not names[1].startswith(".")
    monkeypatch.setattr(publish.shutil, "rmtree", rmtree)
    third = run(keep=1)  # the next publish clears what was left
    assert sorted(p.name for p in (reports / "editions").iterdir()) == [third.name]


def test_leftovers_of_a_killed_publish_are_cleared(site):
    reports, run = site
    good = run()
    editions = reports / "editions"
    (editions / f"{publish.STAGING}2026-01_x").mkdir()
    (editions / f"{publish.STAGING}2026-01_x" / "board-paper.html").write_text("<html>half")
    (editions / f"{publish.DELETING}2025-12_y").mkdir()
    (reports / ".index.html.abc123.tmp").write_text("<html>ha")
    os.symlink("editions/nowhere", reports / ".latest.tmp")
    cleared = publish.clear_leftovers(reports)
    assert len(cleared) == 4
    assert sorted(p.name for p in reports.iterdir()) == ["editions", "index.html", "latest"]
    assert [p.name for p in editions.iterdir()] == [good.name]


def test_retention_keeps_the_newest_and_always_the_current():
    names = ["2025-11_a", "2025-12_a", "2026-01_a"]
    assert publish.retained(names, keep=2, current="2026-01_a") == ["2025-12_a", "2026-01_a"]
    assert publish.retained(names, keep=2, current="2025-11_a") == ["2026-01_a", "2025-11_a"]
    assert publish.retained(names, keep=0, current="2026-01_a") == ["2026-01_a"]


def test_retention_prunes_oldest_but_never_the_current(site):
    reports, run = site
    made = [run(keep=2).name for _ in range(4)]
    left = sorted(p.name for p in (reports / "editions").iterdir())
    assert left == made[-2:]


def test_failure_while_building_leaves_previous_edition_untouched(site, monkeypatch):
    reports, run = site
    good = run()
    before = (reports / "index.html").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(publish, "audit_page", broken)
    with pytest.raises(RuntimeError):
        run()
    assert (reports / "index.html").read_bytes() == before
    assert (reports / "latest").resolve() == good.resolve()
    assert sorted(p.name for p in (reports / "editions").iterdir()) == [good.name]


def test_text_from_data_is_escaped_in_tables():
    frame = pd.DataFrame({"Provider": ["<script>alert(1)</script>", "A & B"], "Patients": [1200, 3]})
    out = html.table(frame, caption="Providers <b>", formats={"Patients": html.integer}, row_header="Provider")
    assert "<script>" not in out and "&lt;script&gt;" in out and "A &amp; B" in out
    assert "<caption>Providers &lt;b&gt;</caption>" in out
    assert '<td class="num">1,200</td>' in out and '<th scope="row">A &amp; B</th>' in out


def test_figure_embeds_png_with_alt_text():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    out = html.figure(fig, alt='Line "up"', caption="Caption")
    plt.close(fig)
    assert out.startswith('<figure><img src="data:image/png;base64,')
    assert 'alt="Line &#34;up&#34;"' in out and "<figcaption>Caption</figcaption>" in out


def test_atomic_write_never_leaves_partial_file(tmp_path):
    from helpers.core.provenance import write_atomic
    target = tmp_path / "out.txt"
    target.write_text("old")

    def fails(path):
        path.write_text("half")
        raise OSError("interrupted")
    with pytest.raises(OSError):
        write_atomic(target, fails)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]


def test_build_folders_are_copied_in_and_listed_by_their_title(site, tmp_path):
    reports, run = site
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "index.html").write_text("<html><head><title>Practice packs &amp; more</title></head></html>")
    (packs / "A81001.html").write_text("pack")
    edition = run(folders=[packs])
    assert (edition / "packs" / "A81001.html").read_text() == "pack"
    assert "Practice packs &amp; more" in (reports / "index.html").read_text()


def test_provenance_of_every_stage_is_merged(tmp_path):
    import json

    (tmp_path / "rtt_provenance.json").write_text(json.dumps(
        {"run_at": "2026-02-01T00:00:00Z", "code_version": "old", "synthetic_inputs": False, "periods": ["2026-01"],
         "inputs": [{"file": "a.csv"}], "params": {"x": 1}}))
    (tmp_path / "qipp_provenance.json").write_text(json.dumps(
        {"run_at": "2026-03-01T00:00:00Z", "code_version": "new", "synthetic_inputs": True, "periods": ["2011-03"],
         "inputs": [{"file": "b.xlsx"}], "params": {"y": 2}}))
    merged = provenance.merged(tmp_path)
    assert merged["code_version"] == "new" and merged["synthetic_inputs"] is True
    assert merged["synthetic_domains"] == ["qipp"]
    assert merged["periods"] == ["2011-03", "2026-01"]
    assert [i["file"] for i in merged["inputs"]] == ["b.xlsx", "a.csv"]
    assert merged["params"] == {"qipp": {"y": 2}, "rtt": {"x": 1}}


def test_the_banner_follows_the_documents_own_data(tmp_path):
    provenance = {**PROVENANCE, "synthetic_inputs": True, "synthetic_domains": ["referrals"]}
    assert publish.Document("RTT", "r.html", tmp_path, domains=("rtt",)).synthetic(provenance) is False
    assert publish.Document("Gateway", "g.html", tmp_path, domains=("referrals",)).synthetic(provenance) is True
    assert publish.Document("Board paper", "b.html", tmp_path).synthetic(provenance) is True


def test_csv_downloads_have_their_own_heading_on_the_index():
    provenance = {"periods": ["2026-01"], "inputs": []}
    report = {"title": "Board paper", "href": "board-paper.html"}
    download = {"title": "rtt_summary.csv", "href": "downloads/rtt_summary.csv", "note": "(3 rows)",
                "group": publish.DOWNLOADS}
    page = publish.index_page([report, download], [], current="2026-01_20260301T000000000000Z", title="T",
                              provenance=provenance, at_top=False)
    reports, rest = page.split("Downloads: the figures as CSV")
    assert 'href="board-paper.html"' in reports and "rtt_summary.csv" not in reports
    assert 'href="downloads/rtt_summary.csv"' in rest.split("For analysts")[0]
    without = publish.index_page([report], [], current="2026-01_20260301T000000000000Z", title="T",
                                 provenance=provenance, at_top=False)
    assert "Downloads" not in without


def test_every_page_names_the_organisation_and_data_month_in_its_masthead(site):
    from bs4 import BeautifulSoup

    reports, run = site
    label = "NHS Sussex ICB, data for January 2026"
    edition = run(label=label)
    for page in (edition / "rtt-waiting-times.html", edition / "index.html", reports / "index.html"):
        masthead = BeautifulSoup(page.read_text(), "html.parser").find("header").get_text(" ", strip=True)
        assert label in masthead, page


def _inputs(*files: tuple[str, str]) -> dict:
    """A merged provenance record with ``(source folder, file name)`` inputs, kinds from their names."""
    records = {"x": {"inputs": [{"file": f"data/raw/{source}/{name}", "source": source,
                                 "kind": provenance.input_kind(Path(name))} for source, name in files]}}
    inputs = records["x"]["inputs"]
    return {**PROVENANCE, "inputs": [{**i, "bytes": 1, "sha256": "ab" * 32} for i in inputs],
            "synthetic_inputs": any(i["kind"] == provenance.SYNTHETIC for i in inputs),
            "sources": provenance.sources(records)}


def test_a_page_is_synthetic_only_when_one_of_its_own_sources_is(tmp_path):
    record = _inputs(("rtt_full_csv", "20260131-RTT-January-2026-full-extract.csv.gz"),
                     ("referral_gateway", "SYNTHETIC_referral_extract_20110512.csv.gz"),
                     ("qipp_tracker", "TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx"))
    page = lambda *sources: publish.Document("P", "p.html", tmp_path, sources=sources).synthetic(record)
    assert page("rtt_full_csv") is False          # real
    assert page("qipp_tracker") is False          # transcribed is not synthetic
    assert page("referral_gateway") is True
    assert page("rtt_full_csv", "referral_gateway") is True
    assert publish.Document("Board paper", "b.html", tmp_path).synthetic(record) is True  # draws on every source


def test_the_index_lists_every_source_as_real_synthetic_or_transcribed():
    from bs4 import BeautifulSoup

    record = _inputs(("rtt_full_csv", "20260131-RTT-January-2026-full-extract.csv.gz"),
                     ("referral_gateway", "SYNTHETIC_referral_extract_20110512.csv.gz"),
                     ("qipp_tracker", "TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx"),
                     ("gp_payments", "SYNTHETIC_payments_21-22.csv"), ("gp_payments", "payments_22-23.csv"))
    page = publish.index_page([], [], current="2026-01_20260301T000000000000Z", title="T", provenance=record,
                              at_top=False, edition="NHS Sussex ICB, data for January 2026")
    soup = BeautifulSoup(page, "html.parser")
    heading = next(h for h in soup.find_all("h2") if h.get_text().startswith("Sources"))
    listed = dict(li.get_text().split(": ", 1) for li in heading.find_next("ul").find_all("li"))
    assert {source: words.split(":")[0] for source, words in listed.items()} == {
        "rtt_full_csv": "real", "referral_gateway": "synthetic", "qipp_tracker": "transcribed", "gp_payments": "mixed"}
    assert "NHS Sussex ICB, data for January 2026" in soup.find("header").get_text()


def test_a_pages_sources_are_its_domains_and_those_it_uses():
    from helpers.pipeline import stages

    assert stages.figure_sources(stages.by_name()["report_rtt"]) == ["rtt_full_csv"]  # organisation: names only
    assert stages.figure_sources(stages.by_name()["report_qipp"]) == ["qipp_tracker"]
    scorecard = stages.figure_sources(stages.by_name()["report_scorecard"])
    assert "fingertips_practice" in scorecard and "rtt_full_csv" not in scorecard


def test_an_edition_is_named_after_its_own_month_not_the_newest_any_source_covers():
    now = dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
    provenance = {"periods": ["2025-11", "2026-02"]}
    assert publish.edition_id(provenance, now, month="2025-12").startswith("2025-12_20260302T0915")
    assert publish.edition_id(provenance, now).startswith("2026-02_")
    assert publish.edition_id({}, now).startswith("unknown_")
