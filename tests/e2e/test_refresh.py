"""The scheduled refresh: the run lock, the log per run, the run summary and notifications.

Runs of the real command use project copies and inputs that stop it early (a missing source,
exit 3, in under a second; a January RTT file whose Period column is spoilt, exit 2, after the
first stage's gate) so that each costs seconds, not a full pipeline run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import support
from helpers.core.errors import EXIT_DATA_QUALITY, EXIT_INPUT_MISSING, EXIT_LOCKED
from helpers.pipeline import lock as runlock
from helpers.pipeline import log as runlog
from helpers.pipeline import notify, summary
from support import copy_project
from support.loopback import SmtpServer, WebhookServer

ROOT = support.ROOT
JANUARY = ROOT / "data" / "raw" / "rtt_full_csv" / "SYNTHETIC_20260131-RTT-January-2026-full-extract.csv"
FIRST_FAILURE = "expect_column_values_to_match_regex(column='Period'"


def clean_env(**settings: str) -> dict:
    """The environment a scheduler would give: this one without any NOTIFY_* of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    return {**env, **settings}


def loopback_env(smtp: SmtpServer, hook: WebhookServer, **more: str) -> dict:
    return clean_env(NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=str(smtp.port), NOTIFY_SMTP_SECURITY="none",
                     NOTIFY_SMTP_USER="refresh", NOTIFY_SMTP_PASSWORD="s3cret", NOTIFY_EMAIL_FROM="refresh@example.nhs.uk",
                     NOTIFY_EMAIL_TO="bi-team@example.nhs.uk,duty@example.nhs.uk", NOTIFY_WEBHOOK_URL=hook.url, **more)


def pipeline_run(project: Path, *inputs, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.pipeline", "run", "--inputs", *map(str, inputs)],
                          cwd=project, env=env or clean_env(), capture_output=True, text=True, timeout=600)


def tree(project: Path) -> dict:
    """Every file under the project with its size and modification time (what 'untouched' means)."""
    return {str(p.relative_to(project)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in project.rglob("*") if p.is_file() and ".dvc/tmp" not in str(p)}


def spoilt_january(folder: Path) -> Path:
    """Inputs whose RTT January file has the period written 'RTT-Jan-26' (a critical check fails)."""
    (folder / "rtt_full_csv").mkdir(parents=True)
    (folder / "rtt_full_csv" / JANUARY.name).write_bytes(JANUARY.read_bytes().replace(b"RTT-January-2026", b"RTT-Jan-26"))
    return folder


# --- the lock ------------------------------------------------------------------------------------

HOLD = """
import sys
from pathlib import Path
from helpers.pipeline import lock as runlock
runlock.acquire(Path(sys.argv[1]), "scheduled refresh started by hand")
print("held", flush=True)
sys.stdin.read()
"""


def hold_lock(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_lock_names_its_holder_and_is_released_when_the_holder_is_killed(tmp_path):
    path = tmp_path / "build" / "run.lock"
    holder = hold_lock(path)
    try:
        with pytest.raises(runlock.Locked) as caught:
            runlock.acquire(path, "second")
        assert caught.value.holder["pid"] == holder.pid
        assert caught.value.holder["command"] == "scheduled refresh started by hand"
        assert dt.timedelta(0) <= caught.value.held_for() < dt.timedelta(minutes=5)
        assert f"PID {holder.pid}" in str(caught.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with runlock.acquire(path, "third") as lock:  # kill -9 left a file but no lock
        assert json.loads(path.read_text())["command"] == "third" and lock.holder["pid"] == os.getpid()
    assert path.read_text() == ""  # released: the file no longer names anyone


def test_pipeline_run_exits_4_naming_the_holder_and_touches_nothing(tmp_path):
    project = copy_project(tmp_path / "project")
    holder = hold_lock(project / runlock.LOCK_FILE)
    try:
        before = tree(project)
        result = pipeline_run(project, "data/raw")
        assert result.returncode == EXIT_LOCKED, result.stdout + result.stderr
        assert f"PID {holder.pid}" in result.stderr and "scheduled refresh started by hand" in result.stderr
        assert re.search(r"started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", result.stderr)
        assert result.stdout == ""
        assert tree(project) == before  # no build/run.yaml, no log, no summary, no last_error
        assert not (project / "build" / "run.yaml").exists() and not (project / "logs").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    after = pipeline_run(project, tmp_path / "absent")  # the next run is not locked out
    assert after.returncode == EXIT_INPUT_MISSING, after.stderr


def test_a_lock_held_for_longer_than_the_limit_is_reported(tmp_path, monkeypatch):
    """A run that finds the lock taken tells no one unless the holder has hung (held > locked_after_hours)."""
    from helpers.pipeline import cli as pipeline

    with WebhookServer() as hook:
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", hook.url)
        monkeypatch.delenv("NOTIFY_SMTP_HOST", raising=False)
        recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        pipeline._notify_locked(ROOT, runlock.Locked(tmp_path / "run.lock", {"pid": 1, "started": recent.isoformat()}))
        assert hook.posts == []
        stuck = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
        pipeline._notify_locked(ROOT, runlock.Locked(tmp_path / "run.lock", {"pid": 1, "started": stuck.isoformat()}))
        assert len(hook.posts) == 1
        text = hook.posts[0][2]["text"]
        assert "exit 4" in text and "held for 30.0 hours" in text and "may have hung" in text


# --- two runs at once, and a data-quality failure reported ----------------------------------------

@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two ``pipeline run`` started together on one fresh project copy, on inputs whose January RTT
    file fails a critical check. The overlap is certain: whichever takes the lock holds it while
    DVC starts and the first stage starts a kernel, reads and validates the file (several seconds),
    while the other reaches the lock within a fraction of a second of starting."""
    project = copy_project(tmp_path_factory.mktemp("two_runs"))
    inputs = spoilt_january(tmp_path_factory.mktemp("inputs"))
    command = [sys.executable, "-m", "helpers.pipeline", "run", "--inputs", str(inputs), "data/raw"]
    with SmtpServer() as smtp, WebhookServer() as hook:
        env = loopback_env(smtp, hook)
        started = time.monotonic()
        runs = [subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=600) for run in runs]
        elapsed = time.monotonic() - started
    by_code = {run.returncode: (run, *out) for run, out in zip(runs, outputs)}
    assert sorted(by_code) == [EXIT_DATA_QUALITY, EXIT_LOCKED], [(r.returncode, o[1][-2000:]) for r, o in zip(runs, outputs)]
    return {"project": project, "winner": by_code[EXIT_DATA_QUALITY], "loser": by_code[EXIT_LOCKED],
            "mail": smtp.deliveries, "posts": hook.posts, "elapsed": elapsed}


def test_two_runs_at_once_one_runs_and_the_other_exits_locked(two_runs):
    winner, _, _ = two_runs["winner"]
    _, out, err = two_runs["loser"]
    assert "another run holds the lock" in err and f"PID {winner.pid}" in err
    assert out == "" and "Running stage" not in err


def test_data_quality_failure_notifies_by_email_and_webhook_with_the_first_failing_expectation(two_runs):
    winner_summary = json.loads((two_runs["project"] / summary.LAST_RUN).read_text())
    assert len(two_runs["mail"]) == 1 and len(two_runs["posts"]) == 1  # the locked run sent nothing
    mail = two_runs["mail"][0]
    assert mail.login == ("refresh", "s3cret")
    assert mail.sender == "refresh@example.nhs.uk"
    assert mail.recipients == ["bi-team@example.nhs.uk", "duty@example.nhs.uk"]
    assert "FAILED" in mail.message["Subject"] and "exit 2" in mail.message["Subject"]
    path, headers, payload = two_runs["posts"][0]
    assert path == "/hooks/T000/B000/secret" and headers["Content-Type"] == "application/json"
    for text in (mail.message.get_content(), payload["text"]):
        assert "Refresh FAILED (exit 2: data-quality failure)" in text
        assert "stage cleanse_rtt" in text and JANUARY.name in text
        assert FIRST_FAILURE in text and "value 'RTT-Jan-26'" in text and "line 2:" in text
        assert f"Log: {winner_summary['log']}" in text


def test_run_log_holds_everything_the_run_printed(two_runs):
    _, out, err = two_runs["winner"]
    record = json.loads((two_runs["project"] / summary.LAST_RUN).read_text())
    log = Path(record["log"])
    assert log.parent == two_runs["project"] / "logs" and log.name.endswith("-run.log")
    text = log.read_text()
    for line in filter(str.strip, out.splitlines() + err.splitlines()):
        assert line in text, f"missing from the log: {line!r}"
    # the runner's lines, the stage's, the stage's error and the summary all reached it
    for words in ("Running stage 'cleanse_rtt'", "[cleanse_rtt] executing", "ERROR in stage cleanse_rtt",
                  "Input rtt_full_csv:", "Refresh FAILED"):
        assert words in text and words in out + err


def test_summary_of_a_failed_run(two_runs):
    project = two_runs["project"]
    record = json.loads((project / summary.LAST_RUN).read_text())
    stamp = Path(record["log"]).name.removesuffix("-run.log")
    assert json.loads((project / "logs" / f"{stamp}-summary.json").read_text()) == record
    assert (project / "logs" / f"{stamp}-summary.txt").read_text() == summary.text(record) + "\n"
    assert summary.text(record) in two_runs["winner"][1]  # printed at the end of the run
    assert record["status"] == "failed" and record["exit_code"] == 2 and record["edition"] is None
    assert record["inputs"]["rtt_full_csv"].endswith("rtt_full_csv")
    assert list(record["input_files"]["rtt_full_csv"]) == [JANUARY.name]
    assert record["changes"] is None  # no earlier successful run
    # stages of other domains may have run beside it; nothing downstream of the failure ran
    [stage] = [s for s in record["stages"] if s["status"] == "failed"]
    assert stage["stage"] == "cleanse_rtt"
    assert 0 < stage["seconds"] <= record["seconds"] <= two_runs["elapsed"]
    ran = {s["stage"] for s in record["stages"] if s["status"] == "ran"}
    assert ran <= {"cleanse_referrals", "cleanse_scorecard", "cleanse_qipp", "cleanse_actions", "report_referrals",
                   "report_scorecard", "packs_scorecard", "report_qipp", "report_actions"}, ran
    validation = record["validation"]
    assert validation["critical_failed"] >= 1 and validation["checked_this_run"] >= 1
    assert FIRST_FAILURE.split("(")[0] in validation["first_failure"] and "'Period'" in validation["first_failure"]
    assert record["first_problem"].startswith("stage cleanse_rtt: Data-quality gate failed")
    assert not (project / summary.LAST_SUCCESS).exists()


# --- notifications from a real run, configured by environment variables ---------------------------

@pytest.mark.parametrize("style", ["slack", "teams", "messagecard"])
def test_input_missing_reaches_smtp_and_webhook(tmp_path, style):
    project = copy_project(tmp_path / "project")
    with SmtpServer() as smtp, WebhookServer() as hook:
        result = pipeline_run(project, tmp_path / "absent", env=loopback_env(smtp, hook, NOTIFY_WEBHOOK_STYLE=style))
    assert result.returncode == EXIT_INPUT_MISSING, result.stderr
    record = json.loads((project / summary.LAST_RUN).read_text())
    assert record["exit_code"] == 3 and record["meaning"] == "input missing"
    assert "no rtt_full_csv/" in record["first_problem"] and str(tmp_path / "absent") in record["first_problem"]
    [mail] = smtp.deliveries
    assert "exit 3: input missing" in mail.message.get_content() and record["log"] in mail.message.get_content()
    [(_, _, payload)] = hook.posts
    if style == "slack":
        shown = payload["text"]
    elif style == "teams":
        [attachment] = payload["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert attachment["content"]["type"] == "AdaptiveCard"
        shown = "\n".join(block["text"] for block in attachment["content"]["body"])
    else:
        assert payload["@type"] == "MessageCard" and payload["themeColor"] == "D5281B"
        shown = payload["title"] + payload["text"]
    assert "exit 3" in shown and "no rtt_full_csv/" in shown and record["log"] in shown
    assert not (project / "build" / "run.yaml").exists()


def test_a_notifier_that_fails_never_changes_the_exit_code(tmp_path):
    project = copy_project(tmp_path / "project")
    with WebhookServer(status=500) as hook:
        refused = clean_env(NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT="1", NOTIFY_SMTP_SECURITY="none",
                            NOTIFY_EMAIL_TO="bi-team@example.nhs.uk", NOTIFY_WEBHOOK_URL=hook.url)
        result = pipeline_run(project, tmp_path / "absent", env=refused)
    assert result.returncode == EXIT_INPUT_MISSING
    assert "notification by email failed (ConnectionRefusedError" in result.stderr
    assert "notification by webhook failed (HTTPError" in result.stderr and "exit code is unchanged" in result.stderr
    assert len(hook.posts) == 1


def test_notify_on_never_and_success_only_when_always(monkeypatch):
    with WebhookServer() as hook:
        config = notify.settings({"notify": {"on": "failure", "webhook": {"style": "slack"}}},
                                 env={"NOTIFY_WEBHOOK_URL": hook.url})
        assert notify.wanted(config, failed=True) and not notify.wanted(config, failed=False)
        assert notify.wanted(notify.settings({"notify": {"on": "always"}}, env={}), failed=False)
        assert not notify.wanted(notify.settings({}, env={"NOTIFY_ON": "never"}), failed=True)
        with pytest.raises(ValueError, match="notify.on"):
            notify.settings({"notify": {"on": "sometimes"}}, env={})


def test_a_notifier_plugged_in_by_dotted_path(tmp_path):
    sink = tmp_path / "messages.jsonl"
    config = notify.settings({"notify": {"notifiers": [{"class": "support.loopback:FileNotifier", "path": str(sink)}]}}, env={})
    record = {"status": "failed", "exit_code": 2}
    assert notify.send(notify.Message.from_summary(record, "the summary", "Reports"), config) == []
    assert json.loads(sink.read_text()) == {"subject": "[Reports] refresh FAILED (exit 2)", "text": "the summary"}
    broken = notify.settings({}, env={"NOTIFY_NOTIFIERS": "no_such_module:Notifier"})
    assert notify.send(notify.Message.from_summary(record, "x", "Reports"), broken) == ["settings"]


# --- the summary and the log, piece by piece ---------------------------------------------------

def test_input_changes_since_the_last_successful_run(tmp_path):
    folder = tmp_path / "inputs" / "rtt_full_csv"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("one")
    (folder / "b.csv").write_text("two")
    first = summary.fingerprint({"rtt_full_csv": str(folder)}, tmp_path)
    assert first["rtt_full_csv"]["a.csv"]["sha256"] == hashlib.sha256(b"one").hexdigest()
    (folder / "b.csv").write_text("TWO")
    (folder / "c.csv").write_text("three")
    (folder / "a.csv").unlink()
    second = summary.fingerprint({"rtt_full_csv": str(folder)}, tmp_path, previous=first)
    assert summary.changes(second, first) == {"rtt_full_csv": {"added": ["c.csv"], "removed": ["a.csv"],
                                                               "changed": ["b.csv"]}}
    assert summary.changes(second, second) == {} and summary.changes(second, None) is None


def test_fingerprint_reuses_a_hash_only_when_size_and_time_match(tmp_path):
    (tmp_path / "s").mkdir()
    path = tmp_path / "s" / "f.csv"
    path.write_text("data")
    stat = path.stat()
    recorded = {"s": {"f.csv": {"sha256": "recorded", "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}}}
    assert summary.fingerprint({"s": "s"}, tmp_path, recorded)["s"]["f.csv"]["sha256"] == "recorded"
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert summary.fingerprint({"s": "s"}, tmp_path, recorded)["s"]["f.csv"]["sha256"] != "recorded"


def test_stage_clock_times_each_stage_from_dvc_lines():
    clock = summary.StageClock()
    for line, at in [("Stage 'cleanse_rtt' didn't change, skipping", 0.5), ("Running stage 'report_rtt':", 1.0),
                     ("> python -m helpers.pipeline stage report_rtt", 1.1), ("Updating lock file 'dvc.lock'", 4.0),
                     ("Running stage 'publish':", 4.5)]:
        clock.line(line, at)
    assert clock.finish(10.0, failed_stage="publish", failed=True) == [
        {"stage": "report_rtt", "status": "ran", "seconds": 3.5},
        {"stage": "publish", "status": "failed", "seconds": 5.5},
        {"stage": "cleanse_rtt", "status": "skipped", "seconds": None}]


def test_stage_clock_times_stages_that_overlap_each_on_its_own():
    clock = summary.StageClock(overlapping=True)
    for line, at in [("Stage 'report_rtt' didn't change, skipping", 0.0), ("Running stage 'cleanse_rtt':", 1.0),
                     ("Running stage 'cleanse_qipp':", 1.5), ("Stage 'cleanse_qipp' finished in 2.0 s", 3.5),
                     ("Running stage 'cleanse_actions':", 3.6), ("Stage 'cleanse_rtt' failed after 6.0 s (exit 2)", 7.0)]:
        clock.line(line, at)
    assert clock.finish(9.0, failed_stage="cleanse_rtt", failed=True) == [
        {"stage": "cleanse_rtt", "status": "failed", "seconds": 6.0},
        {"stage": "cleanse_qipp", "status": "ran", "seconds": 2.0},
        {"stage": "cleanse_actions", "status": "ran", "seconds": 5.4},  # still running: until the end
        {"stage": "report_rtt", "status": "skipped", "seconds": None}]


def test_run_log_tees_command_output_and_keeps_the_newest_runs(tmp_path, capsys):
    for n in range(4):
        (tmp_path / "logs").mkdir(exist_ok=True)
        (tmp_path / "logs" / f"2026010{n}T000000.000Z-run.log").write_text("old")
        (tmp_path / "logs" / f"2026010{n}T000000.000Z-summary.json").write_text("{}")
    seen = []
    with runlog.RunLog(tmp_path, keep=3) as log:
        print("printed by the run")
        code = log.run([sys.executable, "-c", "import sys; print('to stdout'); print('to stderr', file=sys.stderr); "
                        "sys.exit(5)"], on_line=lambda line, at: seen.append(line))
    assert code == 5 and sorted(seen) == ["to stderr", "to stdout"]
    console = capsys.readouterr()
    assert "to stdout" in console.out and "to stderr" in console.err and "printed by the run" in console.out
    text = log.path.read_text()
    assert all(words in text for words in ("printed by the run", "to stdout", "to stderr"))
    kept = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert [n for n in kept if n.endswith("-run.log")] == ["20260102T000000.000Z-run.log",
                                                           "20260103T000000.000Z-run.log", log.path.name]
    assert "20260101T000000.000Z-summary.json" not in kept


# --- on the published sample project ----------------------------------------------------------------

def test_first_run_summary_lists_every_stage_and_the_edition(published_sample):
    from helpers.pipeline import stages

    project, first = published_sample
    assert "Refresh published a new edition (exit 0: success)" in first.stdout
    line = next(x for x in first.stdout.splitlines() if x.startswith("Stages: "))
    timed = dict(re.findall(r"(\w+) (\d+\.\d) s", line))
    assert set(timed) == {s.name for s in stages.STAGES} | {stages.PUBLISH}
    total = float(re.search(r"in (\d+\.\d) s, started", first.stdout)[1])
    assert all(0 < float(seconds) <= total for seconds in timed.values())  # stages overlap: each within the run
    edition = re.search(r"Edition published: (reports/editions/\S+)", first.stdout)[1]
    assert (project / edition / "index.html").is_file()


def test_refresh_and_notify_settings_make_no_stage_stale(published_sample):
    project, _ = published_sample
    params = project / "params.yaml"
    original = params.read_text()

    def status() -> dict:
        done = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=project,
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout or "{}")

    before = status()
    try:
        changed = original.replace("  on: failure", "  on: always").replace("keep_logs: 24", "keep_logs: 3")
        assert changed.count("on: always") == 1 and "keep_logs: 3" in changed
        params.write_text(changed)
        assert status() == before
        params.write_text(changed.replace("max_exceptions: 30", "max_exceptions: 31"))
        assert "report_qipp" in status()  # the check can fail: a stage's own section does make it stale
    finally:
        params.write_text(original)


# --- the shipped scheduling examples ---------------------------------------------------------------

def test_crontab_example_runs_the_entry_point_with_secrets_from_the_env_file(tmp_path):
    """The crontab line as cron's /bin/sh runs it, paths pointed at a project copy and a filled env file."""
    lines = [x for x in (ROOT / "deploy" / "crontab.example").read_text().splitlines()
             if x.strip() and not x.startswith("#") and "=" not in x.split()[0]]
    [entry] = lines
    minute, hour, day, month, weekday, command = entry.split(None, 5)
    assert (month, weekday) == ("*", "*") and day.isdigit() and "flock" not in command
    project = copy_project(tmp_path / "project")
    with SmtpServer() as smtp, WebhookServer() as hook:
        env_file = (ROOT / "deploy" / "refresh.env.example").read_text()
        filled = {"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(smtp.port), "NOTIFY_SMTP_SECURITY": "none",
                  "NOTIFY_SMTP_PASSWORD": "s3cret", "NOTIFY_WEBHOOK_URL": hook.url}
        for name, value in filled.items():
            env_file = re.sub(rf"^export {name}=.*$", f"export {name}={value}", env_file, flags=re.M)
        (tmp_path / "refresh.env").write_text(env_file)
        command = (command.replace("/srv/nhs-analytics", str(project))
                   .replace("/etc/nhs-analytics/refresh.env", str(tmp_path / "refresh.env"))
                   .replace("/srv/nhs-inputs", str(tmp_path / "not-yet-delivered")).replace(".venv/bin/python", sys.executable))
        cron = subprocess.run(["/bin/sh", "-c", command], env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
                              capture_output=True, text=True, timeout=120)
    assert cron.stdout.startswith("NHS analytics refresh exited 3 "), cron.stdout + cron.stderr  # what cron mails
    [mail] = smtp.deliveries
    assert mail.login == ("bi-refresh@example.nhs.uk", "s3cret") and "exit 3" in mail.message["Subject"]
    assert mail.recipients == ["bi-team@example.nhs.uk", "performance@example.nhs.uk"]
    assert len(hook.posts) == 1 and hook.posts[0][2]["type"] == "message"  # the example's style: teams
    assert len(list((project / "logs").glob("*-run.log"))) == 1


def test_ci_workflow_runs_the_entry_point_monthly_and_keeps_reports_and_log():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "monthly-refresh.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "workflow_dispatch" in triggers
    [schedule] = triggers["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5 and fields[2].isdigit() and fields[3:] == ["*", "*"]  # once a month
    steps = workflow["jobs"]["refresh"]["steps"]
    [refresh] = [s for s in steps if "helpers.pipeline run" in s.get("run", "")]
    assert all(v.startswith("${{ secrets.") for k, v in refresh["env"].items()
               if k in ("NOTIFY_SMTP_PASSWORD", "NOTIFY_WEBHOOK_URL"))
    [upload] = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()"
    kept = upload["with"]["path"].split()
    assert "reports/" in kept and "logs/" in kept and "build/last_run.json" in kept


def test_fingerprint_records_an_unreadable_file_without_failing(tmp_path, monkeypatch):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "ok.csv").write_text("fine")
    (tmp_path / "s" / "locked.csv").write_text("secret")
    real_hash = summary.sha256

    def refuse(path):  # as the OS refuses a file another account owns (tests here may run as root)
        if path.name == "locked.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_hash(path)

    monkeypatch.setattr(summary, "sha256", refuse)
    files = summary.fingerprint({"s": "s"}, tmp_path)["s"]
    assert files["locked.csv"] == {"sha256": None, "error": "PermissionError: Permission denied"}
    assert files["ok.csv"]["sha256"] == real_hash(tmp_path / "s" / "ok.csv")
