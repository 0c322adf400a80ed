"""The results table: medians over pairs of loadgen reports, and the machine."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
Report = dict[str, Any]


@dataclass
class Pair:
    """One reference run and one Baithak run of a scenario, back to back."""

    scenario: str
    index: int
    ref: Report | None = None
    cand: Report | None = None
    notes: list[str] = field(default_factory=list)
    # CPU % of one core in Baithak's sending window, per process (bench.run).
    cpu: dict[str, float] = field(default_factory=dict)


def _get(report: Report, *keys: str) -> Any:
    value: Any = report
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _rss_per_connection(report: Report) -> float | None:
    """Server RSS growth from the start to all joined (before any traffic),
    per joined connection, in KiB."""
    rss = _get(report, "resources", "server", "rssKb") or {}
    joined = _get(report, "summary", "joined")
    if rss.get("start") is None or rss.get("joined") is None or not joined:
        return None
    return (rss["joined"] - rss["start"]) / joined


def _other_cpu(report: Report) -> float | None:
    phases = _get(report, "resources", "phases") or {}
    phase = phases.get("window") or phases.get("hold") or {}
    return phase.get("otherCpuPercent")


def _payload_errors(report: Report) -> int:
    return sum((report.get("payloadErrors") or {}).values())


def _rss_mib(report: Report) -> float | None:
    kb = _get(report, "summary", "serverRssKb")
    return None if kb is None else kb / 1024


# (figure, getter, kind, decimals): kind "higher"/"lower" get a ratio (which way
# is better), "count" is a correctness count (median, and the worst pair),
# "info" is shown without a ratio.
Figure = tuple[str, Callable[[Report], Any], str, int]
FIGURES: list[Figure] = [
    ("deliveries/s", lambda r: _get(r, "summary", "deliveriesPerSec"), "higher", 0),
    ("offered deliveries/s", lambda r: _get(r, "deliveries", "offeredPerSec"), "info", 0),  # noqa: E501
    ("latency p50 ms", lambda r: _get(r, "summary", "latencyP50Ms"), "lower", 1),
    ("latency p99 ms", lambda r: _get(r, "summary", "latencyP99Ms"), "lower", 1),
    ("ack p50 ms", lambda r: _get(r, "messages", "ackLatencyMs", "p50"), "lower", 1),
    ("ack p99 ms", lambda r: _get(r, "messages", "ackLatencyMs", "p99"), "lower", 1),
    ("messages sent", lambda r: _get(r, "messages", "sent"), "info", 0),
    ("lost", lambda r: _get(r, "summary", "lost"), "count", 0),
    ("duplicated", lambda r: _get(r, "summary", "duplicated"), "count", 0),
    ("reordered", lambda r: _get(r, "summary", "reordered"), "count", 0),
    ("unexpected (error ack, delivered)", lambda r: _get(r, "deliveries", "unexpected"), "count", 0),  # noqa: E501
    ("ack errors", lambda r: _get(r, "summary", "acksErr"), "count", 0),
    ("ack timeouts", lambda r: _get(r, "summary", "ackTimeouts"), "count", 0),
    ("payload errors", _payload_errors, "count", 0),
    ("joined", lambda r: _get(r, "summary", "joined"), "info", 0),
    ("time to all joined ms", lambda r: _get(r, "summary", "timeToAllJoinedMs"), "lower", 0),  # noqa: E501
    ("connect+join p99 ms", lambda r: _get(r, "summary", "connectJoinP99Ms"), "lower", 0),  # noqa: E501
    ("server RSS per connection KiB", _rss_per_connection, "lower", 1),
    ("server RSS at the end (after the hold) MiB", _rss_mib, "lower", 1),
    ("server CPU % of a core while connecting", lambda r: _get(r, "resources", "server", "cpuPercentConnect"), "lower", 0),  # noqa: E501
    ("server CPU % of a core (window, or hold)", lambda r: _get(r, "summary", "serverCpuPercent"), "lower", 0),  # noqa: E501
    ("generator CPU % of a core", lambda r: _get(r, "summary", "generatorCpuPercent"), "info", 0),  # noqa: E501
    ("other processes CPU %", _other_cpu, "info", 0),
    ("drain s", lambda r: _get(r, "timing", "drainS"), "info", 1),
    ("permessage-deflate connections", lambda r: _get(r, "connections", "permessageDeflate"), "info", 0),  # noqa: E501
]  # fmt: skip


def _values(reports: list[Report], get: Callable[[Report], Any]) -> list[float]:
    out = []
    for report in reports:
        value = get(report)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(float(value))
    return out


def _show(value: float | None, decimals: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.{decimals}f}"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _cell(
    reports: list[Report], get: Callable[[Report], Any], kind: str, d: int
) -> str:
    values = _values(reports, get)
    median = _median(values)
    text = _show(median, d)
    if kind == "count" and values and max(values) != median:
        text += f" (worst {_show(max(values), d)})"
    return text


def _ratio(pairs: list[Pair], get: Callable[[Report], Any]) -> float | None:
    """Median over pairs of Baithak / reference."""
    ratios = []
    for pair in pairs:
        if pair.ref is None or pair.cand is None:
            continue
        a, b = get(pair.ref), get(pair.cand)
        if isinstance(a, int | float) and isinstance(b, int | float) and a > 0:
            ratios.append(b / a)
    return _median(ratios)


def scenario_table(pairs: list[Pair]) -> str:
    """One scenario's figures: medians over its pairs, and the ratio."""
    refs = [p.ref for p in pairs if p.ref is not None]
    cands = [p.cand for p in pairs if p.cand is not None]
    lines = [
        "| figure | reference | Baithak | Baithak/ref |",
        "|---|---:|---:|---:|",
    ]
    for name, get, kind, decimals in FIGURES:
        if not _values(refs, get) and not _values(cands, get):
            continue  # e.g. no messages in `connect`
        ratio = _ratio(pairs, get) if kind in ("higher", "lower") else None
        better = {"higher": " (>1 better)", "lower": " (<1 better)"}.get(kind, "")
        lines.append(
            f"| {name} | {_cell(refs, get, kind, decimals)} "
            f"| {_cell(cands, get, kind, decimals)} "
            f"| {'' if ratio is None else f'{ratio:.2f}{better}'} |"
        )
    return "\n".join(lines)


def headline_table(by_scenario: dict[str, list[Pair]]) -> str:
    """Across scenarios: the figures that matter most, medians over pairs."""
    lines = [
        "| scenario | pairs | ref deliveries/s | Baithak deliveries/s | ratio "
        "| ref p50 / p99 ms | Baithak p50 / p99 ms | p99 ratio "
        "| Baithak lost / dup / reordered | ref / Baithak all joined ms "
        "| ref / Baithak RSS KiB per conn |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    fig = {name: (get, d) for name, get, _, d in FIGURES}

    def med(reports: list[Report], name: str) -> str:
        get, d = fig[name]
        return _show(_median(_values(reports, get)), d)

    for scenario, pairs in by_scenario.items():
        refs = [p.ref for p in pairs if p.ref is not None]
        cands = [p.cand for p in pairs if p.cand is not None]
        d_ratio = _ratio(pairs, fig["deliveries/s"][0])
        p99_ratio = _ratio(pairs, fig["latency p99 ms"][0])
        counts = " / ".join(
            _cell(cands, fig[n][0], "count", 0)
            for n in ("lost", "duplicated", "reordered")
        )
        lines.append(
            f"| {scenario} | {len(pairs)} "
            f"| {med(refs, 'deliveries/s')} | {med(cands, 'deliveries/s')} "
            f"| {_show(d_ratio, 2)} "
            f"| {med(refs, 'latency p50 ms')} / {med(refs, 'latency p99 ms')} "
            f"| {med(cands, 'latency p50 ms')} / {med(cands, 'latency p99 ms')} "
            f"| {_show(p99_ratio, 2)} | {counts} "
            f"| {med(refs, 'time to all joined ms')} / "
            f"{med(cands, 'time to all joined ms')} "
            f"| {med(refs, 'server RSS per connection KiB')} / "
            f"{med(cands, 'server RSS per connection KiB')} |"
        )
    return "\n".join(lines)


def _command_output(command: list[str]) -> str | None:
    """The command's output, stripped; None if it could not run or failed."""
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def machine(node: str) -> dict[str, str]:
    """What the figures were measured on."""
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    memory = f"{int(mem_kb.split()[0]) / 2**20:.1f} GiB" if mem_kb else "?"
    commit = _command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _command_output(["git", "-C", str(ROOT), "status", "--porcelain"])
    if commit and dirty:
        commit += " (with uncommitted changes)"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": f"{len(os.sched_getaffinity(0))} (of {os.cpu_count()} CPUs)",
        "CPU": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "memory": memory,
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "Node": _command_output([node, "--version"]) or "?",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Baithak commit": commit or "?",
    }


def _notes(report: Report) -> list[str]:
    """loadgen's warnings, the ack errors by text, connection and payload errors."""
    notes = list(report.get("warnings", []))
    for key, what in (
        (("messages", "ackErrors"), "ack errors"),
        (("errors",), "connection errors"),
        (("payloadErrors",), "payload errors"),
    ):
        found = _get(report, *key)
        if found:
            notes.append(f"{what}: {json.dumps(found, ensure_ascii=False)}")
    return notes


def document(
    by_scenario: dict[str, list[Pair]],
    machine_info: dict[str, str],
    command: str,
    loadgen_args: list[str],
    baithak: str | None = None,
) -> str:
    """The whole results page in markdown."""
    lines = [
        "# Baithak vs the Node reference",
        "",
        f"Command: `{command}`"
        + (f"; loadgen flags `{' '.join(loadgen_args)}`" if loadgen_args else ""),
        "",
        *([f"Baithak: {baithak}.", ""] if baithak else []),
        *[f"- {key}: {value}" for key, value in machine_info.items()],
        "",
        "Each figure is the median over the pairs (reference run, then Baithak "
        "run, back to back with vs-ref.sh; a fresh Baithak per pair); a ratio "
        "is the median of the pairs' Baithak/ref. Correctness counts show the "
        "worst pair when it differs from the median. RSS per connection is the "
        "server's RSS growth from its start to all joined, before any traffic, "
        "divided by the connections; CPU is % of one core. What each figure "
        "means, and the yardstick's limits: its README (../shared/bench/README.md).",
        "",
        headline_table(by_scenario),
        "",
    ]
    for scenario, pairs in by_scenario.items():
        lines += [f"## {scenario}", "", scenario_table(pairs), ""]
        for pair in pairs:
            for who, report in (("reference", pair.ref), ("Baithak", pair.cand)):
                for note in _notes(report or {}):
                    lines.append(f"- pair {pair.index}, {who}: {note}")
            for note in pair.notes:
                lines.append(f"- pair {pair.index}: {note}")
            if pair.cpu:
                each = ", ".join(
                    f"{name} {value:.0f}" for name, value in pair.cpu.items()
                )
                lines.append(
                    f"- pair {pair.index}, Baithak: CPU % of a core in the "
                    f"sending window: {each}"
                )
        lines.append("")
    return "\n".join(lines)
