"""Figures from the tracker and the CPU samples; the printed tables and the JSON result."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scripts.bench.load import Case, SendStats


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(values: Iterable[float]) -> dict[str, Any]:
    """Milliseconds: n, p50, p95, p99, max (None when nothing was measured)."""
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(quantile(values, 0.95) * 1000, 1),
        "p99_ms": round(quantile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def _since_sent(cases: list[Case], milestone: str) -> list[float]:
    return [
        getattr(case, milestone) - case.sent
        for case in cases
        if getattr(case, milestone) is not None
    ]


def phase_figures(
    cases: list[Case], send: SendStats, warmup: float, milestones: Iterable[str]
) -> dict[str, Any]:
    """Counts, rates over the steady window (after `warmup`, until the last send) and
    latencies from the first send of each case."""
    window_start = send.started + warmup
    window = max(1e-9, send.stopped - window_start)
    taken = [case for case in cases if case.answered is not None]
    figures: dict[str, Any] = {
        "cases_sent": len(cases),
        "cases_reported": len(taken),
        "cases_failed": sum(case.failed for case in cases),
        "cases_escalated": sum(case.escalated is not None for case in cases),
        "cases_merged": sum(case.merged is not None for case in cases),
        "cases_triage_needed": sum(case.triage_needed is not None for case in cases),
        "window_seconds": round(window, 2),
        "rates_per_second": {},
        "latency_ms": {"answered": latency(_since_sent(taken, "answered"))},
        "send": send.as_dict(),
    }
    for milestone in milestones:
        times = [getattr(case, milestone) for case in cases if getattr(case, milestone) is not None]
        figures[f"cases_{milestone}"] = len(times)
        in_window = sum(window_start <= at <= send.stopped for at in times)
        figures["rates_per_second"][milestone] = round(in_window / window, 2)
        figures["latency_ms"][milestone] = latency(_since_sent(cases, milestone))
        if times:
            first = min(case.sent for case in cases)
            figures["rates_per_second"][f"{milestone}_end_to_end"] = round(
                len(times) / max(1e-9, max(times) - first), 2
            )
    figures["rates_per_second"]["answered"] = round(
        sum(window_start <= case.answered <= send.stopped for case in taken) / window, 2
    )
    return figures


def cpu_figures(
    seconds: dict[str, float], cases: int, ours: list[str], generator_seconds: float
) -> dict[str, Any]:
    """CPU-seconds and CPU-ms per case for each process group, the pipeline's total, and
    what the rest of the machine burned meanwhile (other engineers' work: noise)."""
    per_case = max(cases, 1)
    rows = {name: seconds[name] for name in ours}
    bench_total = seconds.get("bench", 0.0)
    rows["load generator"] = min(generator_seconds, bench_total)
    rows["bench harness"] = max(0.0, bench_total - generator_seconds)
    system = sum(seconds[name] for name in ours)
    accounted = system + bench_total
    return {
        "cases": cases,
        "seconds": {name: round(value, 3) for name, value in rows.items()},
        "ms_per_case": {name: round(1000 * value / per_case, 3) for name, value in rows.items()},
        "system_ms_per_case": round(1000 * system / per_case, 3),
        "system_names": ours,
        "machine_busy_seconds": round(seconds.get("machine", 0.0), 3),
        "other_processes_seconds": round(max(0.0, seconds.get("machine", 0.0) - accounted), 3),
    }


# --- output ------------------------------------------------------------------------------


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}{suffix}" if abs(value) >= 10 else f"{value:,.2f}{suffix}"
    return f"{value}{suffix}"


def _met(flag: bool | None) -> str:
    return {True: "[green]met[/]", False: "[red]not met[/]", None: "[dim]—[/]"}[flag]


def print_result(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    machine, params = result["machine"], result["parameters"]
    console.rule("[bold]Lianxin bench")
    console.print(
        f"commit {result.get('git_commit') or '?'} · {machine['cores']} cores · "
        f"load avg at start {machine['load_average_at_start']} · "
        f"{'smoke run · ' if params.get('smoke') else ''}"
        f"{result['finished_at']} · shared machine: quote medians and ratios"
    )
    pipeline = result.get("pipeline", {})
    throughput = pipeline.get("throughput")
    if throughput:
        _throughput_table(console, throughput, params, result.get("bare_chain"), result)
        _cpu_table(console, throughput["cpu"], "CPU per case, throughput phase")
        commands = throughput.get("database_commands_per_case")
        if commands:
            listed = ", ".join(f"{k} {v:g}" for k, v in commands.items() if k != "total")
            console.print(
                f"  FerretDB commands per case: {commands['total']:g} ({listed}); "
                "counted by FerretDB for all its clients"
            )
        _commands_by_service(console, throughput.get("commands_by_service"))
    lat = pipeline.get("latency")
    if lat:
        _latency_table(console, lat, params)
    bare = result.get("bare_chain")
    if bare and not throughput:
        _bare_only(console, bare)
    if bare:
        _cpu_table(console, bare["cpu"], "CPU per item, bare nameko chain", unit="item")
    by_id = result.get("by_id")
    if by_id:
        _by_id_table(console, by_id)
    if result.get("console"):
        _console_table(console, result["console"])
    if result.get("diagnostics"):
        _diagnostics(console, result["diagnostics"])
    _targets_table(console, result["targets"])
    if result.get("error"):
        console.print(f"[red]the run failed, these figures are partial:[/] {result['error']}")
    console.print(f"result: {result.get('output')}")


def _commands_by_service(console, by_service: dict[str, dict[str, float]] | None) -> None:
    """The --command-log breakdown: each service's commands per case, biggest first."""
    if not by_service:
        return
    table = Table(title="Commands per case by service (--command-log)", title_justify="left")
    table.add_column("service")
    table.add_column("total", justify="right")
    table.add_column("collection and command, per case")
    for service, figures in by_service.items():
        parts = [f"{what} {value:g}" for what, value in figures.items() if what != "total"]
        table.add_row(service, f"{figures['total']:g}", ", ".join(parts))
    console.print(table)


def _throughput_table(console, figures, params, bare, result) -> None:
    rates = figures["rates_per_second"]
    table = Table(
        title=(
            f"Throughput: closed loop, {params['clients']} clients, ≤{params['max_in_flight']} "
            f"cases in flight, {params['duration']:g}s (first {params['warmup']:g}s not counted)"
        ),
        title_justify="left",
    )
    table.add_column("measure")
    table.add_column("pipeline", justify="right")
    table.add_column("bare chain", justify="right")
    table.add_column("pipeline / bare", justify="right")
    bare_rate = bare["rates_per_second"]["dispatched"] if bare else None
    ratio = result.get("ratio_pipeline_to_bare")
    table.add_row(
        "cases/s report→dispatched (event)",
        _fmt(rates.get("dispatched")),
        _fmt(bare_rate),
        _fmt(ratio),
    )
    table.add_row("cases/s report→delivered (webhook)", _fmt(rates.get("delivered")), "", "")
    if "resolved" in rates:
        table.add_row("cases/s report→resolved", _fmt(rates.get("resolved")), "", "")
    table.add_row(
        "cases/s end to end (first sent→last dispatched)",
        _fmt(rates.get("dispatched_end_to_end")),
        _fmt(bare["rates_per_second"].get("dispatched_end_to_end") if bare else None),
        "",
    )
    table.add_row(
        "intake answers/s",
        _fmt(rates.get("answered")),
        _fmt(bare["rates_per_second"].get("answered") if bare else None),
        "",
    )
    for label, key in (("p50", "p50_ms"), ("p95", "p95_ms")):
        table.add_row(
            f"{label} report→dispatched under saturation",
            _fmt(figures["latency_ms"]["dispatched"][key], " ms"),
            _fmt(bare["latency_ms"]["dispatched"][key] if bare else None, " ms"),
            "",
        )
    send = figures["send"]
    table.add_row(
        "cases reported / dispatched / delivered",
        f"{figures['cases_reported']} / {figures['cases_dispatched']} / "
        f"{figures['cases_delivered']}",
        f"{bare['cases_reported']} / {bare['cases_dispatched']}" if bare else "",
        "",
    )
    table.add_row(
        "answers 201 / 200, retries, gave up",
        f"{send['status_201']} / {send['status_200']}, {send['retries']}, {send['gave_up']}",
        "",
        "",
    )
    table.add_row("drained after the last send", _fmt(figures.get("drain_seconds"), " s"), "", "")
    console.print(table)


def _cpu_table(console, cpu, title, unit: str = "case") -> None:
    table = Table(title=f"{title} ({cpu['cases']} {unit}s)", title_justify="left")
    table.add_column("process")
    table.add_column("CPU-s", justify="right")
    table.add_column(f"CPU-ms per {unit}", justify="right")
    for name, seconds in cpu["seconds"].items():
        table.add_row(name, f"{seconds:.2f}", f"{cpu['ms_per_case'][name]:.2f}")
    table.add_row(
        f"[bold]total: {' + '.join(cpu['system_names'])}[/]",
        "",
        f"[bold]{cpu['system_ms_per_case']:.2f}[/]",
    )
    table.add_row(
        "[dim]machine busy / other processes (noise)[/]",
        f"[dim]{cpu['machine_busy_seconds']:.1f} / {cpu['other_processes_seconds']:.1f}[/]",
        "",
    )
    console.print(table)


def _latency_table(console, figures, params) -> None:
    table = Table(
        title=(
            f"Latency: open loop at {params['rate']:g} cases/s for {params['latency_duration']:g}s "
            f"(from the scheduled send)"
        ),
        title_justify="left",
    )
    table.add_column("report →")
    for column in ("n", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="right")
    for label, key in (
        ("HTTP answer", "answered"),
        ("case.dispatched event", "dispatched"),
        ("webhook delivered", "delivered"),
        ("resolved", "resolved"),
    ):
        figure = figures["latency_ms"].get(key)
        if figure is None:
            continue
        table.add_row(
            label,
            str(figure["n"]),
            *(_fmt(figure[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
        )
    console.print(table)
    send = figures["send"]
    console.print(
        f"  reported {figures['cases_reported']}/{figures['cases_sent']}, "
        f"201/200 {send['status_201']}/{send['status_200']}, retries {send['retries']}, "
        f"max schedule lag {send['max_schedule_lag_ms']} ms; "
        f"CPU {figures['cpu']['system_ms_per_case']:.1f} ms per case at this rate"
    )


def _bare_only(console, bare) -> None:
    console.print(
        f"bare chain: {bare['rates_per_second']['dispatched']:.1f} items/s, "
        f"p50 {bare['latency_ms']['dispatched']['p50_ms']} ms"
    )


def _by_id_table(console, by_id) -> None:
    small, big = (str(size) for size in (by_id["sizes"][0], by_id["sizes"][-1]))
    table = Table(
        title=(
            f"By-_id cost: medians of {by_id['samples']} random ids, documents of "
            f"~{by_id['document_bytes_median']:,} B"
        ),
        title_justify="left",
    )
    table.add_column("operation")
    table.add_column(f"{int(small):,} docs", justify="right")
    table.add_column(f"{int(big):,} docs", justify="right")
    table.add_column(f"ratio {int(big) // int(small)}×", justify="right")
    for operation, figures in by_id["operations"].items():
        table.add_row(
            operation,
            f"{figures[small]['median_ms']:.3f} ms",
            f"{figures[big]['median_ms']:.3f} ms",
            f"{figures['ratio']:.2f}",
        )
    console.print(table)
    console.print(f"  explain find({{_id}}): {by_id['explain']['plan']}")


def _console_table(console, figures) -> None:
    table = Table(
        title=(
            f"The console over HTTP, signed in, {figures['cases_on_board']:,} cases on the "
            f"board ({figures['reported_through_cases']} of them reported through cases)"
        ),
        title_justify="left",
    )
    for column in ("page", "n", "p50", "p95", "max"):
        table.add_column(column, justify="left" if column == "page" else "right")
    pages = ("board_first_page", "board_filtered_page", "case_page", "home_page",
             "volunteer_case_page")  # fmt: skip
    for name in (page for page in pages if page in figures):
        lat = figures[name]
        table.add_row(
            name.replace("_", " "), str(lat["n"]), f"{lat['p50_ms']} ms", f"{lat['p95_ms']} ms",
            f"{lat['max_ms']} ms",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"  first board page after start (loads the community once): "
        f"{figures['first_board_page_after_start_ms']} ms; sign-in to home: "
        f"{figures['sign_in_round_trips']} HTTP requests for documents"
    )
    if figures.get("photos"):
        _photos_table(console, figures["photos"])


def _photos_table(console, photos) -> None:
    table = Table(
        title=f"Photos through cases' API ({photos['photos_stored']:,} stored when read)",
        title_justify="left",
    )
    for column in ("what", "n", "p50", "p95", "max"):
        table.add_column(column, justify="left" if column == "what" else "right")
    upload = f"upload {photos['upload_bytes'] / 2**20:.1f} MB ({photos['upload_pixels']}) to stored"
    for name, label in (("upload_to_stored_thumbnail", upload),
                        ("read_thumbnail", "read a thumbnail"), ("read_full", "read a full photo")):
        lat = photos[name]
        timings = (f"{lat[key]} ms" for key in ("p50_ms", "p95_ms", "max_ms"))
        table.add_row(label, str(lat["n"]), *timings)
    console.print(table)


def _diagnostics(console, diagnostics) -> None:
    table = Table(title="Where the time went (after all phases)", title_justify="left")
    table.add_column("what", overflow="fold")
    table.add_column("value", justify="right")
    for service, counters in diagnostics.get("services", {}).items():
        for name, handler in counters.get("handlers", {}).items():
            if name in ("healthz", "openapi_document"):
                continue
            table.add_row(
                f"{service}.{name}: mean wall time",
                f"{handler['mean_ms']:.1f} ms × {handler['count']}",
            )
        for name, value in counters.get("trouble", {}).items():
            table.add_row(f"{service}: {name}", f"{value:g}")
    documents = diagnostics.get("documents", {})
    table.add_row(
        "documents per case",
        ", ".join(f"{name} {value:g}" for name, value in documents.get("per_case", {}).items()),
    )
    largest = documents.get("largest_kb", {})
    if largest:
        name = max(largest, key=largest.get)
        table.add_row("largest document of a small collection", f"{name} {largest[name]:g} KB")
    table.add_row("case document (median)", _fmt(documents.get("case_median_kb"), " KB"))
    table.add_row("leases left behind", _fmt(sum(documents.get("leases_left", {}).values())))
    table.add_row(
        "webhooks unverified / duplicate milestones",
        f"{diagnostics.get('webhooks_unverified')} / "
        f"{sum(diagnostics.get('duplicate_milestones', {}).values())}",
    )
    console.print(table)


def _targets_table(console, targets) -> None:
    table = Table(title="Targets (this run)", title_justify="left")
    table.add_column("target")
    table.add_column("measured", justify="right")
    table.add_column("", justify="right")
    for target in targets:
        table.add_row(target["target"], _fmt(target["value"]), _met(target["met"]))
    console.print(table)


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
