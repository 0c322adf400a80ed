"""Copy the shared yardstick into bench/.yardstick/ and install its Node packages.

    python -m bench.yardstick             # copy, `npm ci` if needed; fail without node
    python -m bench.yardstick --optional  # only warn without node or without the
                                          # shared folder (`make test`)

The yardstick (loadgen.js, the reference server, ...) lives in ../shared/bench
beside the project, or wherever BAITHAK_YARDSTICK points; that folder may be
read-only, so its files are copied into the git-ignored bench/.yardstick/ and
`npm ci` runs there, only when package-lock.json changed since the last install
or node_modules is missing. Standard library only: runs before the venv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "bench" / ".yardstick"
FILES = (
    "loadgen.js",
    "ref-server.js",
    "run-ref.sh",
    "vs-ref.sh",
    "compare.js",
    "package.json",
    "package-lock.json",
)
# Written after a successful `npm ci`: the hash of the package-lock it installed.
# Inside node_modules, so removing node_modules forgets it too.
STAMP = DEST / "node_modules" / ".baithak-package-lock.sha256"


class YardstickError(RuntimeError):
    """The yardstick cannot be set up (no node, no shared folder, npm failed)."""


def source_dir() -> Path:
    """Return the shared yardstick folder: $BAITHAK_YARDSTICK or ../shared/bench."""
    override = os.environ.get("BAITHAK_YARDSTICK")
    return Path(override).resolve() if override else ROOT.parent / "shared" / "bench"


def node_binary() -> str | None:
    """Return the node executable ($NODE or `node` on PATH), None when missing."""
    return shutil.which(os.environ.get("NODE", "node"))


def is_ready() -> bool:
    """True when the copied yardstick and its node_modules are in place."""
    return (
        all((DEST / name).is_file() for name in FILES)
        and (DEST / "node_modules" / "socket.io-client").is_dir()
        and (DEST / "node_modules" / "socket.io").is_dir()
    )


def _copy(src: Path) -> list[str]:
    """Copy the yardstick's files that differ; return the names copied."""
    missing = [name for name in FILES if not (src / name).is_file()]
    if missing:
        raise YardstickError(f"{src} lacks {', '.join(missing)}")
    DEST.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in FILES:
        source, target = src / name, DEST / name
        data = source.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        if target.exists():
            target.chmod(0o644)  # the shared copy is read-only: so would ours be
        target.write_bytes(data)
        # Owner-writable, so the next copy can replace it; scripts stay executable.
        target.chmod(0o755 if name.endswith((".sh", ".js")) else 0o644)
        copied.append(name)
    return copied


def _npm_ci(lock_hash: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise YardstickError("npm not found (Node 18+ with npm is needed)")
    print(f"yardstick: npm ci in {DEST}", file=sys.stderr, flush=True)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=DEST,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise YardstickError(f"npm ci failed in {DEST} (exit {result.returncode})")
    STAMP.write_text(lock_hash + "\n")


def setup() -> Path:
    """Copy the yardstick and run `npm ci` when needed; return its folder."""
    src = source_dir()
    if not src.is_dir():
        raise YardstickError(
            f"no yardstick at {src} (set BAITHAK_YARDSTICK to the shared bench folder)"
        )
    if node_binary() is None:
        raise YardstickError("node not found (Node 18+ is needed; or set NODE)")
    copied = _copy(src)
    if copied:
        print(f"yardstick: copied {', '.join(copied)} from {src}", file=sys.stderr)
    lock_hash = hashlib.sha256((DEST / "package-lock.json").read_bytes()).hexdigest()
    installed = STAMP.read_text().strip() if STAMP.is_file() else None
    if installed != lock_hash or not is_ready():
        _npm_ci(lock_hash)
    return DEST


def main(argv: list[str] | None = None) -> int:
    """Command line: set up the yardstick; exit 1 if it cannot be."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--optional",
        action="store_true",
        help="only warn when node or the shared folder is missing (exit 0)",
    )
    args = parser.parse_args(argv)
    try:
        setup()
    except YardstickError as error:
        missing_tool = node_binary() is None or not source_dir().is_dir()
        if args.optional and missing_tool:
            print(
                f"yardstick: {error}; the bench smoke test will skip (fail in CI)",
                file=sys.stderr,
            )
            return 0
        print(f"yardstick: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
