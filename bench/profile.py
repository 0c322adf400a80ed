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

import re
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


def markdown(profile: Profile, n: int = 15) -> str:
    """Two markdown tables: the top `n` by own time and by total time."""
    lines = []
    for by, title in (("own", "own time"), ("total", "total time")):
        lines += [
            f"Top {n} by {title} (share of {profile.samples} busy samples):",
            "",
            "| # | function | where | own % | total % |",
            "|---:|---|---|---:|---:|",
        ]
        for rank, cost in enumerate(profile.top(n, by), 1):
            own, total = profile.percent(cost.own), profile.percent(cost.total)
            lines.append(
                f"| {rank} | `{cost.function}` | `{cost.file}` "
                f"| {own:.1f} | {total:.1f} |"
            )
        lines.append("")
    return "\n".join(lines)
