"""Read a py-spy "raw" profile (collapsed stacks) into the top costs.

Each line of py-spy's raw format is one distinct stack, outermost frame first,
frames separated by ";", then a space and the number of samples that had it:

    <module> (gunicorn:8);run (gunicorn/app/base.py:71);... 12

With `py-spy record --function` a frame is "function (file:first line)".
Own time of a function: samples where it is the innermost frame. Total time:
samples where it is anywhere on the stack (counted once per sample, however
often it recurs). Idle samples (the eventlet hub waiting in epoll) are not in
py-spy's output unless --idle, so the shares are of the worker's busy time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass(frozen=True)
class Cost:
    """One function's share of the samples."""

    function: str
    file: str
    own: int
    total: int


@dataclass(frozen=True)
class Profile:
    """Every function's own and total samples, and the number of samples."""

    samples: int
    costs: list[Cost]

    def top(self, n: int, by: str) -> list[Cost]:
        """The `n` largest costs by "own" or "total" samples."""
        return sorted(self.costs, key=lambda c: (-getattr(c, by), c.function))[:n]

    def percent(self, count: int) -> float:
        """`count` samples as a percentage of all samples."""
        return 100.0 * count / self.samples if self.samples else 0.0


def _short(path: str) -> str:
    """Shorten a frame's file: the package path inside site-packages."""
    for marker in ("site-packages/", "lib/python3."):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker.startswith("lib/") else tail
    return path


def _frame(text: str) -> tuple[str, str]:
    match = _FRAME.match(text)
    if not match:
        return text, ""
    location = _short(match["file"])
    if match["line"]:
        location = f"{location}:{match['line']}"
    return match["name"], location


def parse(raw: str) -> Profile:
    """Parse py-spy's raw output into per-function own/total samples."""
    own: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        samples += count
        # py-spy puts a "process"/"thread" pseudo-frame first with -t/-s only;
        # without them every frame is Python code.
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    costs = [
        Cost(name, file, own[(name, file)], n) for (name, file), n in total.items()
    ]
    return Profile(samples, costs)


def parse_file(path: Path) -> Profile:
    """Parse a py-spy raw file."""
    return parse(path.read_text(errors="replace"))


def _distinct_totals(costs: list[Cost], n: int) -> tuple[list[Cost], int]:
    """The first `n` costs, skipping those whose total equals one already
    listed: the wrappers of one call chain (gunicorn -> Flask -> engineio ->
    the websocket handler) all have the same total. Also returns how many
    were skipped."""
    shown: list[Cost] = []
    totals: set[int] = set()
    skipped = 0
    for cost in costs:
        if len(shown) == n:
            break
        if cost.total in totals:
            skipped += 1
            continue
        totals.add(cost.total)
        shown.append(cost)
    return shown, skipped


def _table(profile: Profile, costs: list[Cost]) -> list[str]:
    lines = ["| # | function | where | own % | total % |", "|---:|---|---|---:|---:|"]
    for rank, cost in enumerate(costs, 1):
        own, total = profile.percent(cost.own), profile.percent(cost.total)
        lines.append(
            f"| {rank} | `{cost.function}` | `{cost.file}` | {own:.1f} | {total:.1f} |"
        )
    return lines


def markdown(profile: Profile, n: int = 15) -> str:
    """Markdown tables: the top `n` by own time, by total time (one frame per
    call chain), and Baithak's own functions by total time."""
    by_total, skipped = _distinct_totals(profile.top(len(profile.costs), "total"), n)
    ours = [c for c in profile.top(len(profile.costs), "total") if _is_ours(c)][:n]
    return "\n".join(
        [
            f"Top {n} by own time (the function itself, not what it calls), "
            f"share of {profile.samples} busy samples:",
            "",
            *_table(profile, profile.top(n, "own")),
            "",
            f"Top {n} by total time (the function and everything it calls); "
            f"{skipped} frames with the same total as one above (wrappers on the "
            "same call chain) left out:",
            "",
            *_table(profile, by_total),
            "",
            f"Baithak's own functions (baithak/), top {n} by total time:",
            "",
            *_table(profile, ours),
            "",
        ]
    )


def _is_ours(cost: Cost) -> bool:
    return cost.file.startswith("baithak/")


def main(argv: list[str] | None = None) -> int:
    """Print the tables of a raw py-spy file: python -m bench.profile FILE."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("raw", type=Path, help="py-spy record --format raw output")
    parser.add_argument("-n", type=int, default=15, help="rows per table")
    args = parser.parse_args(argv)
    print(markdown(parse_file(args.raw), args.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
