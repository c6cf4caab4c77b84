"""`supportdesk triage` and `supportdesk policy` as a user runs them: a real subprocess, bad input
included. Nothing is lost, nothing crashes, no traceback reaches the user."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples" / "tickets.jsonl"
GOOD = json.loads(EXAMPLES.read_text().splitlines()[0])


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def variant(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


def test_bad_lines_become_errors_in_place_and_the_batch_goes_on() -> None:
    lines = [
        variant(id="ok1"),
        "{not json",
        "[1, 2, 3]",
        variant(id="naive", submitted_at="2026-12-01T11:00:00"),
        variant(id="tier", account={"name": "X", "tier": "gold"}),
        variant(id="role", requester={"email": "a@b.example", "role": "wizard"}),
        variant(id="huge", description="x" * 60_000),
        variant(id="sev", severity=7),
        "",
        variant(id="binary", description="\x00\x01\x02 chat \ufffd\ud7ff won't open \x7f"),
        variant(id="german", description="Seit gestern können sich alle Nutzer nicht anmelden."),
        variant(id="ok2"),
    ]
    res = run("triage", "--rules-only", "-", stdin="\n".join(lines) + "\n")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(out) == 11  # the blank line is skipped, everything else answered in order
    ids = [o.get("id") for o in out]
    assert ids == [
        "ok1",
        None,
        None,
        "naive",
        "tier",
        "role",
        "huge",
        "sev",
        "binary",
        "german",
        "ok2",
    ]
    errors = {o.get("id"): o["error"] for o in out if "error" in o}
    assert "not valid JSON" in errors[None] or len([o for o in out if "error" in o]) >= 2
    assert "UTC offset" in errors["naive"]
    assert "gold" in errors["tier"] and "standard" in errors["tier"]
    assert "requester.role" in errors["role"]
    assert "description" in errors["huge"]
    assert "severity" in errors["sev"]
    assert "error" not in out[8] and "\x00" not in json.dumps(out[8])
    assert "error" not in out[9] and out[9]["support_path"] == "accept"


def test_all_good_lines_exit_zero() -> None:
    res = run("triage", "--rules-only", str(EXAMPLES))
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.splitlines()) == 13


def test_usage_errors_exit_two_without_a_traceback() -> None:
    res = run("triage", "/no/such/file.jsonl")
    assert res.returncode == 2
    assert "cannot read" in res.stderr and "Traceback" not in res.stderr
    bad = run("triage", "--policy", "/no/such/policy.yaml", str(EXAMPLES))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_policy_check_names_problems(tmp_path: Path) -> None:
    ok = run("policy", "show")
    assert ok.returncode == 0 and "support_path:" in ok.stdout
    good = tmp_path / "p.yaml"
    good.write_text(ok.stdout)
    assert run("policy", "check", str(good)).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(ok.stdout.replace("zone: America/Denver", "zone: Mars/Olympus", 1))
    res = run("policy", "check", str(bad))
    assert res.returncode == 1
    assert "calendars.business_hours" in res.stderr and "line " in res.stderr


def test_one_ticket_that_cannot_be_decided_does_not_sink_the_batch(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io
    from datetime import UTC, datetime

    from supportdesk import triage_batch
    from supportdesk.core.policy import load_policy

    real = triage_batch.decide

    def flaky(prepared, *args):  # type: ignore[no-untyped-def]
        if prepared.ticket.id == "boom":
            raise RuntimeError("simulated defect")
        return real(prepared, *args)

    monkeypatch.setattr(triage_batch, "decide", flaky)
    out = io.StringIO()
    lines = [variant(id="a"), variant(id="boom"), variant(id="b")]
    failed = triage_batch.run_batch(lines, out, load_policy(), None, datetime.now(UTC))
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    assert failed == 1
    assert [g["id"] for g in got] == ["a", "boom", "b"]
    assert "error" in got[1] and "support_path" in got[2]
