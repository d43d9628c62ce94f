"""`make bench` in its seconds-long smoke mode: the machinery works end to end.

This measures nothing (a few cases per phase on a busy machine); it checks that
every phase runs, that every case reported is dispatched and delivered exactly
once, and that the JSON result has the figures `make bench` promises.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scripts.bench import observe
from scripts.stack import ROOT, SERVICES

SMOKE_LIMIT_SECONDS = 240
# pytest-timeout's deadline: past the run's own limit and its clean-up, so that a slow
# run fails with the bench's output rather than a stack dump
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(SMOKE_LIMIT_SECONDS + 120)]


def smoke_run(folder, *options: str) -> tuple[dict, str]:
    """`python -m scripts.bench --smoke` with `options`: its JSON result and its output."""
    output = folder / "result.json"
    command = [
        sys.executable,
        "-m",
        "scripts.bench",
        "--smoke",
        *options,
        "--output",
        str(output),
        "--state-dir",
        str(folder / "s"),
    ]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as bench:
        try:
            # about 40 s; the limit only tells a hung run from a slow one (RabbitMQ has
            # been seen to stall a minute and more while it drops a vhost's quorum queues)
            stdout, stderr = bench.communicate(timeout=SMOKE_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            bench.terminate()  # the bench cleans up its processes, vhost and databases
            stdout, stderr = bench.communicate(timeout=60)
            took = f"the smoke run took over {SMOKE_LIMIT_SECONDS} s"
            pytest.fail(f"{took}:\n{stdout[-3000:]}{stderr[-3000:]}")
    assert bench.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return json.loads(output.read_text()), stdout


def test_the_bench_smoke_run_writes_a_sane_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")  # short: supervisord's socket lives below it
    # the pipeline's phases (the console phase, default too, has its own test below)
    result, stdout = smoke_run(folder, "--command-log", "--phases", "bare,throughput,latency,store")
    assert "Lianxin bench" in stdout

    assert {
        "machine",
        "git_commit",
        "parameters",
        "pipeline",
        "bare_chain",
        "by_id",
        "ratio_pipeline_to_bare",
        "targets",
        "diagnostics",
    } <= set(result)
    assert result["machine"]["cores"] >= 1
    assert result["parameters"]["smoke"] is True

    throughput = result["pipeline"]["throughput"]
    assert throughput["cases_reported"] > 0
    assert settled(throughput) == throughput["cases_reported"]
    assert throughput["cases_delivered"] == throughput["cases_dispatched"] > 0
    assert throughput["cases_failed"] == throughput["cases_escalated"] == 0
    assert throughput["send"]["gave_up"] == 0
    assert throughput["rates_per_second"]["dispatched"] > 0
    for milestone in ("answered", "dispatched", "delivered"):
        assert throughput["latency_ms"][milestone]["p50_ms"] > 0
    cpu = throughput["cpu"]
    for process in [*SERVICES, "FerretDB", "RabbitMQ"]:
        assert cpu["seconds"][process] > 0, f"no CPU found for {process}: pids not found?"
    assert cpu["system_ms_per_case"] > 0
    by_service = throughput["commands_by_service"]
    assert set(by_service) == set(SERVICES)
    assert by_service["cases"]["cases insert"] >= 1  # every reported case is stored
    assert by_service["cases"]["total"] >= by_service["cases"]["cases insert"]

    latency = result["pipeline"]["latency"]
    assert latency["cases_sent"] == latency["cases_reported"] == settled(latency) > 0
    assert latency["cases_delivered"] == latency["cases_dispatched"] > 0
    dispatched, delivered = latency["latency_ms"]["dispatched"], latency["latency_ms"]["delivered"]
    assert 0 < dispatched["p50_ms"] <= dispatched["p95_ms"]
    assert 0 < delivered["p50_ms"] <= delivered["p95_ms"]

    bare = result["bare_chain"]
    assert bare["cases_dispatched"] == bare["cases_reported"] > 0
    assert bare["rates_per_second"]["dispatched"] > 0
    assert result["ratio_pipeline_to_bare"] > 0

    by_id = result["by_id"]
    assert set(by_id["operations"]) == {"find_one", "replace_one", "update_one", "delete_one"}
    for figures in by_id["operations"].values():
        assert figures["ratio"] > 0
    assert by_id["explain"]["uses_index"], by_id["explain"]

    assert result["diagnostics"]["webhooks_unverified"] == 0
    assert all(target["met"] is None for target in result["targets"])  # smoke: judged never


def settled(phase: dict) -> int:
    """Cases that reached their end in the pipeline: dispatched, or folded into an open
    case as a repeat, or waiting in the manual triage queue (the workload's "other"
    reports) -- every reported case is one of these, none is lost on the way."""
    return phase["cases_dispatched"] + phase["cases_merged"] + phase["cases_triage_needed"]


def test_commands_are_counted_per_case_by_service_within_the_phase(tmp_path):
    log = tmp_path / "commands.jsonl"
    lines = [
        ("run_cases", "leases", "insert", 10.0),
        ("run_cases", "leases", "insert", 11.0),
        ("run_cases", "cases", "find", 12.0),
        ("run_roster", "offers", "update", 12.5),
        ("run_roster", "offers", "update", 30.0),  # after the phase
        ("other_cases", "cases", "find", 12.0),  # another run's database
    ]
    log.write_text(
        "".join(
            json.dumps({"db": db, "collection": name, "command": command, "at": at}) + "\n"
            for db, name, command, at in lines
        )
    )
    assert observe.commands_by_service(log, "run_", 9.0, 20.0, cases=2) == {
        "cases": {"total": 1.5, "leases insert": 1.0, "cases find": 0.5},
        "roster": {"total": 0.5, "offers update": 0.5},
    }
    assert observe.commands_by_service(tmp_path / "none.jsonl", "run_", 0.0, 1.0, 2) is None


def test_the_console_phase_signs_in_and_times_every_page(tmp_path_factory):
    """`--phases console` in its smoke size: a session signed in with the sink's code, the
    board's rows written and reported, every page answered 200 and timed, photos uploaded
    and read back among the stored copies."""
    result, _ = smoke_run(tmp_path_factory.mktemp("bench-console"), "--phases", "console")
    console = result["console"]
    assert (
        console["cases_on_board"] >= console["written_as_rows"] + console["reported_through_cases"]
    )
    pages = ("board_first_page", "board_filtered_page", "case_page", "home_page",
             "volunteer_case_page")  # fmt: skip
    for page in pages:
        assert console[page]["n"] == 5 and console[page]["p95_ms"] > 0
    assert console["sign_in_round_trips"] == 3  # the code form posted by htmx: no redirect
    photos = console["photos"]
    assert photos["photos_stored"] == 50 and photos["upload_bytes"] > 2.5 * 2**20
    for timed in ("upload_to_stored_thumbnail", "read_thumbnail", "read_full"):
        assert photos[timed]["n"] == 2 and photos[timed]["p95_ms"] > 0
