"""Measure Baithak against the Node reference, on this machine, in one run.

    python -m bench.run                                  # 4 scenarios x 3 pairs
    python -m bench.run --runs 1 --scenarios saturate
    python -m bench.run --loadgen-args "--transport upgrade --size 2000"
    python -m bench.run --profile saturate               # py-spy on Baithak only
    python -m bench.run --processes 3 --scenarios saturate   # scale-out
    python -m bench.run --queue --scenarios saturate     # 1 process, queue on

(`make bench` / `make profile` call these.) For each scenario and pair: a
fresh Baithak (bench/server.py; with --processes N > 1 or --queue, N
gunicorns sharing the Redis message queue and a new PostgreSQL database,
behind nginx when N > 1 or with --proxy), then the yardstick's vs-ref.sh,
which runs the reference and then Baithak with the same loadgen flags (its
--pid: every worker, so CPU and RSS are their sum; the CPU of each worker,
nginx, Redis and PostgreSQL in the sending window is sampled here). With
--quiet-wait S, each pair first waits (up to S seconds) for the machine to
be idle. The JSON reports go to bench/results/<time>/, the table to
bench/results/latest.md (and stdout). Every process started here is stopped
before exit. Exit status 1 means the harness failed (not that Baithak was
slow or lost messages: those are findings, in the table).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import profile as pyspy_profile
from . import report, yardstick
from .server import (
    Cluster,
    ServerError,
    baithak_cluster,
    baithak_server,
    describe,
    nginx_binary,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SCENARIOS = ("classroom", "saturate", "rooms", "connect")
# loadgen's own hard limit is --max-time 600 s per run; a pair is two runs.
PAIR_TIMEOUT = 2 * 600 + 120


class HarnessError(RuntimeError):
    """The harness itself failed (not the server under test)."""


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _stream(
    command: list[str],
    log_path: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> int:
    """Run `command` in its own process group, copying its output to stderr
    and `log_path` line by line; kill the group after `timeout` s or on any
    exception (Ctrl+C, SIGTERM). Return its exit status."""
    with open(log_path, "a", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=log_path.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        timer = threading.Timer(timeout, _terminate_group, (process,))
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                sys.stderr.write(line)
                log.write(line)
                if on_line:
                    on_line(line)
            return process.wait()
        finally:
            timer.cancel()
            stop(process, timeout=10)


def _terminate_group(process: subprocess.Popen[str]) -> None:
    _log(f"timeout: stopping {process.args[0]}")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _ticks(pid: int) -> int | None:
    """utime + stime of `pid` in clock ticks (None when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def _pids_named(name: str) -> list[int]:
    """Every process whose command name (/proc/PID/comm) is `name`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
    return pids


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores together, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # without guest time, already counted in user
    return total - idle, total


def wait_quiet(max_wait: float, busy_percent: float = 25, sample: float = 3) -> str:
    """Wait until the whole machine was at most `busy_percent` busy (all cores
    together) over `sample` s, for at most `max_wait` s; return a note when it
    never was (other sessions' test suites share this machine)."""
    deadline = time.monotonic() + max_wait
    waited = False
    while True:
        busy0, total0 = _machine_ticks()
        time.sleep(sample)
        busy1, total1 = _machine_ticks()
        busy = 100 * (busy1 - busy0) / max(1, total1 - total0)
        if busy <= busy_percent:
            return ""
        if time.monotonic() >= deadline:
            return f"the machine was still {busy:.0f} % busy after {max_wait:.0f} s"
        if not waited:
            _log(f"machine {busy:.0f} % busy: waiting for it to be quiet")
            waited = True


class _CpuWindow:
    """The CPU that each process of the server side used during the
    candidate's sending window (% of one core): every worker, nginx, and the
    machine's Redis and PostgreSQL (all their processes, so other users of
    them count too), and the whole machine (at most 100 per core).
    vs-ref.sh's "== candidate" line arms it; loadgen's "sending: ..." and
    "window over: ..." lines take the two snapshots."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.armed = False
        self.start: tuple[float, dict[str, dict[int, int]]] | None = None
        self.machine = (0, 0)
        self.result: dict[str, float] = {}

    def _groups(self) -> dict[str, list[int]]:
        groups = {
            f"worker {i}": [pid] for i, pid in enumerate(self.cluster.worker_pids, 1)
        }
        if self.cluster.nginx is not None:
            groups["nginx"] = self.cluster.nginx_pids()
        if self.cluster.shared is not None:
            groups["redis-server"] = _pids_named("redis-server")
            groups["postgres"] = _pids_named("postgres")
        return groups

    def _snapshot(self) -> dict[str, dict[int, int]]:
        out: dict[str, dict[int, int]] = {}
        for group, pids in self._groups().items():
            out[group] = {}
            for pid in pids:
                ticks = _ticks(pid)
                if ticks is not None:
                    out[group][pid] = ticks
        return out

    def on_line(self, line: str) -> None:
        """Arm on the candidate's run; snapshot at its window's ends."""
        if line.startswith("== candidate"):
            self.armed = True
        elif self.armed and "] sending:" in line and self.start is None:
            self.start = (time.monotonic(), self._snapshot())
            self.machine = _machine_ticks()
        elif self.armed and "] window over:" in line and self.start is not None:
            began, before = self.start
            after, wall = self._snapshot(), time.monotonic() - began
            machine = _machine_ticks()
            hz = os.sysconf("SC_CLK_TCK")
            for group, now in after.items():
                used = sum(
                    t - before.get(group, {}).get(pid, 0) for pid, t in now.items()
                )
                self.result[group] = round(100 * used / hz / wall, 1)
            busy = machine[0] - self.machine[0]
            self.result["whole machine"] = round(100 * busy / hz / wall, 1)
            self.armed = False


def run_pair(
    scenario: str,
    index: int,
    loadgen_args: list[str],
    out_dir: Path,
    processes: int = 1,
    queue: bool = False,
    proxy: bool = False,
    quiet_wait: float = 0,
) -> report.Pair:
    """The reference and a fresh Baithak, back to back (vs-ref.sh); Baithak
    as `processes` processes (with the queue and/or nginx: baithak_cluster);
    first, with `quiet_wait`, wait for the machine to be idle."""
    pair = report.Pair(scenario, index)
    pair_dir = out_dir / f"{scenario}-{index}"
    pair_dir.mkdir(parents=True)
    if quiet_wait and (note := wait_quiet(quiet_wait)):
        pair.notes.append(note)
    with (
        tempfile.TemporaryDirectory(prefix="baithak-bench-") as tmp,
        baithak_cluster(Path(tmp), processes, queue, proxy) as cluster,
    ):
        pids = ",".join(str(pid) for pid in cluster.worker_pids)
        _log(f"{scenario} pair {index}: Baithak {cluster.url} pid {pids}")
        _log(f"Baithak: {cluster.describe()}")
        command = [
            str(yardstick.DEST / "vs-ref.sh"),
            scenario, cluster.url, pids,
            "--", *loadgen_args,
        ]  # fmt: skip
        env = {**os.environ, "OUT_DIR": str(pair_dir)}
        cpu = _CpuWindow(cluster)
        status = _stream(
            command, pair_dir / "vs-ref.log", PAIR_TIMEOUT, env, cpu.on_line
        )
        if not cluster.alive():
            pair.notes.append(
                "a Baithak worker (or nginx) died during the run (see logs)"
            )
        for i, server in enumerate(cluster.servers, 1):
            name = (
                "baithak-server.log"
                if len(cluster.servers) == 1
                else f"baithak-server-{i}.log"
            )
            shutil.copy(server.log_path, pair_dir / name)
        if cluster.nginx_log is not None and cluster.nginx_log.is_file():
            shutil.copy(cluster.nginx_log, pair_dir / "nginx-error.log")
    (pair_dir / "notes.json").write_text(json.dumps(pair.notes))
    (pair_dir / "cpu.json").write_text(json.dumps(cpu.result))
    pair.cpu = cpu.result
    pair.ref = _read_json(pair_dir / f"ref-{scenario}.json")
    pair.cand = _read_json(pair_dir / f"cand-{scenario}.json")
    if status != 0 or pair.ref is None or pair.cand is None:
        raise HarnessError(
            f"{scenario} pair {index}: vs-ref.sh exited {status}; "
            f"see {pair_dir / 'vs-ref.log'}"
        )
    return pair


class _Spy:
    """py-spy recording one process while loadgen's sending window is open:
    loadgen's progress line "sending: ..." starts it, "window over: ..." stops
    it with SIGINT, on which py-spy writes its file."""

    def __init__(self, py_spy: str, pid: int, rate: int, raw: Path) -> None:
        self.command = [
            py_spy, "record", "--pid", str(pid), "--rate", str(rate),
            "--function", "--format", "raw", "--output", str(raw),
        ]  # fmt: skip
        self.log_path = raw.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def on_line(self, line: str) -> None:
        """Start or stop on loadgen's progress lines."""
        if "] sending:" in line and self.process is None:
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    self.command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        elif "] window over:" in line and self.process is not None:
            self.process.send_signal(signal.SIGINT)

    def finish(self) -> None:
        """Wait for py-spy to write its file (stop it after 30 s)."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop(self.process)


def run_profile(
    scenario: str, loadgen_args: list[str], out_dir: Path, rate: int
) -> Path:
    """Baithak alone under `scenario`, py-spy recording its worker during the
    sending window; write the raw profile and the top costs in markdown."""
    venv_bin = str(Path(sys.executable).parent)
    py_spy = shutil.which("py-spy", path=venv_bin) or shutil.which("py-spy")
    if py_spy is None:
        raise HarnessError("py-spy not found (make profile installs it in .venv)")
    out_dir.mkdir(parents=True)
    raw = out_dir / f"profile-{scenario}.txt"
    report_path = out_dir / f"cand-{scenario}.json"
    node = yardstick.node_binary() or "node"
    with (
        tempfile.TemporaryDirectory(prefix="baithak-bench-") as tmp,
        baithak_server(Path(tmp)) as server,
    ):
        spy = _Spy(py_spy, server.worker_pid, rate, raw)
        command = [
            node, str(yardstick.DEST / "loadgen.js"), "--url", server.url,
            "--scenario", scenario, "--pid", str(server.worker_pid),
            "--label", "Baithak (profiled)", "--json", str(report_path),
            *loadgen_args,
        ]  # fmt: skip
        try:
            status = _stream(command, out_dir / "loadgen.log", 660, None, spy.on_line)
        finally:
            spy.finish()
    if status != 0 or not raw.is_file():
        raise HarnessError(f"profile failed; see {out_dir}/loadgen.log, *.log")
    result = pyspy_profile.parse_file(raw)
    summary = (_read_json(report_path) or {}).get("summary", {})
    text = "\n".join(
        [
            f"# Profile of Baithak under `{scenario}` (py-spy, {rate} Hz)",
            "",
            f"Worker CPU {summary.get('serverCpuPercent')} % of a core, "
            f"{summary.get('deliveriesPerSec')} deliveries/s while profiled "
            "(py-spy pauses the worker for each sample: slower than unprofiled). "
            f"Raw stacks: `{raw.relative_to(ROOT)}`.",
            "",
            pyspy_profile.markdown(result),
        ]
    )
    (out_dir / f"profile-{scenario}.md").write_text(text)
    (RESULTS / "profile-latest.md").write_text(text)
    print(text)
    return raw


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--scenarios",
        default=" ".join(SCENARIOS),
        help="space- or comma-separated scenarios (default: %(default)s)",
    )
    parser.add_argument("--runs", type=int, default=3, help="pairs per scenario")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Baithak as N gunicorns (1 eventlet worker each); above 1, with "
        "the Redis queue, PostgreSQL and nginx in front (default: 1)",
    )
    parser.add_argument(
        "--queue",
        action="store_true",
        help="the Redis message queue and a PostgreSQL database even with one "
        "process (always on with several)",
    )
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="nginx in front even with one process (always with several)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        metavar="S",
        help="before each pair, wait up to S s for the machine to be idle "
        "(at most 25%% busy over 3 s); default 0: no wait",
    )
    parser.add_argument(
        "--loadgen-args",
        default="",
        help='extra loadgen flags for every run, one string: "--size 2000"',
    )
    parser.add_argument(
        "--profile",
        metavar="SCENARIO",
        help="profile Baithak alone under SCENARIO with py-spy instead",
    )
    parser.add_argument("--profile-rate", type=int, default=100, help="samples/s")
    parser.add_argument("--command", help="the command to show in the table")
    parser.add_argument(
        "--report",
        metavar="DIR",
        type=Path,
        help="only rebuild the table of an earlier run (bench/results/<time>)",
    )
    args = parser.parse_args(argv)
    args.scenario_list = args.scenarios.replace(",", " ").split()
    if args.profile:
        args.scenario_list = [args.profile]
    unknown = [s for s in args.scenario_list if s not in SCENARIOS]
    if unknown or not args.scenario_list:
        parser.error(f"unknown scenario(s) {unknown}; choose from {SCENARIOS}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.profile and (args.processes > 1 or args.queue or args.proxy):
        parser.error("--profile runs one process without queue or proxy")
    args.loadgen_list = shlex.split(args.loadgen_args)
    transport = _flag_value(args.loadgen_list, "--transport")
    if (args.processes > 1 or args.proxy) and transport not in (None, "websocket"):
        # Round-robin sends a session's next poll to any process; the shipped
        # ip_hash would put every client (all 127.0.0.1) on one.
        parser.error("several processes or --proxy: websocket transport only")
    return args


def _flag_value(flags: list[str], name: str) -> str | None:
    """The value of `name` in loadgen's flags (`--x v` or `--x=v`), or None."""
    for i, flag in enumerate(flags):
        if flag == name and i + 1 < len(flags):
            return flags[i + 1]
        if flag.startswith(name + "="):
            return flag.split("=", 1)[1]
    return None


def _sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally` (cleanup)


def main(argv: list[str] | None = None) -> int:
    """Run the bench; return the exit status."""
    args = _parse_args(argv)
    if args.report:
        render(args.report.resolve())
        return 0
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        yardstick.setup()
    except yardstick.YardstickError as error:
        _log(str(error))
        return 1
    out_dir = RESULTS / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.profile:
        try:
            run_profile(args.profile, args.loadgen_list, out_dir, args.profile_rate)
        except (HarnessError, ServerError) as error:
            _log(str(error))
            return 1
        return 0

    command = args.command or "python -m bench.run " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    proxy = args.proxy or args.processes > 1
    if proxy and nginx_binary() is None:
        _log(
            "nginx not found: with several processes (or --proxy) nginx spreads "
            "the clients over them; `make nginx` installs it (as root), or "
            "apt-get install nginx. Nothing measured."
        )
        return 1
    meta = {
        "command": command,
        "loadgen_args": args.loadgen_list,
        "machine": report.machine(yardstick.node_binary() or "node"),
        "baithak": describe(args.processes, args.queue, proxy),
        "failures": [],
    }
    out_dir.mkdir(parents=True)
    started = time.monotonic()
    for scenario in args.scenario_list:
        for index in range(1, args.runs + 1):
            try:
                run_pair(
                    scenario, index, args.loadgen_list, out_dir,
                    args.processes, args.queue, proxy, args.quiet_wait,
                )  # fmt: skip
            except (HarnessError, ServerError) as error:
                _log(str(error))
                meta["failures"].append(str(error).splitlines()[0])
            (out_dir / "run.json").write_text(json.dumps(meta, indent=2))
    render(out_dir)
    minutes = (time.monotonic() - started) / 60
    _log(f"{minutes:.1f} min; table in {(RESULTS / 'latest.md').relative_to(ROOT)}")
    return 1 if meta["failures"] else 0


def _pair_order(pair_dir: Path) -> tuple[int, str, int]:
    scenario, _, index = pair_dir.name.rpartition("-")
    known = SCENARIOS.index(scenario) if scenario in SCENARIOS else len(SCENARIOS)
    return known, scenario, int(index)


def render(out_dir: Path) -> str:
    """Write (and print) the table of the pairs in `out_dir`: results.md
    there and bench/results/latest.md."""
    meta = json.loads((out_dir / "run.json").read_text())
    by_scenario: dict[str, list[report.Pair]] = {}
    pair_dirs = [d for d in out_dir.iterdir() if (d / "vs-ref.log").is_file()]
    for pair_dir in sorted(pair_dirs, key=_pair_order):
        scenario, _, index = pair_dir.name.rpartition("-")
        pair = report.Pair(scenario, int(index))
        pair.ref = _read_json(pair_dir / f"ref-{scenario}.json")
        pair.cand = _read_json(pair_dir / f"cand-{scenario}.json")
        pair.notes = _read_json(pair_dir / "notes.json") or []
        pair.cpu = _read_json(pair_dir / "cpu.json") or {}
        if pair.ref is not None and pair.cand is not None:
            by_scenario.setdefault(scenario, []).append(pair)
    text = report.document(
        by_scenario,
        meta["machine"],
        meta["command"],
        meta["loadgen_args"],
        meta.get("baithak"),
    )
    if meta["failures"]:
        text += "\n## Harness failures\n\n"
        text += "\n".join(f"- {f}" for f in meta["failures"]) + "\n"
    text += f"\nRaw reports: `{out_dir.relative_to(ROOT)}/`\n"
    (out_dir / "results.md").write_text(text)
    (RESULTS / "latest.md").write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    sys.exit(main())
