"""Run the Python blocks of Steps 1-9 of a tutorial written in Markdown, unmodified, in a temporary folder.

Usage: python examples/run_tutorial_verbatim.py TUTORIAL.md [--keep FOLDER]

Every fenced ```python block under a heading "## Step N: ..." runs in one
shared namespace, in order, as a reader pasting them into one session would.
Blocks under other headings (such as a condensed "complete script" that
elides code) are skipped. Files the steps write go to a temporary folder, or
to FOLDER with --keep. The script prints each step's output and time, and
exits non-zero naming the step that failed.

This is not part of the test suite: with the tutorial's CTGAN settings
(300 epochs under differential privacy) it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

STEP_HEADING = re.compile(r"^## (Step (\d+)\b.*)$")
FENCE = re.compile(r"^```(\w*)\s*$")


def step_blocks(markdown: str) -> list[tuple[str, str]]:
    """Return (heading, code) for every python block under a "## Step N" heading, in document order."""
    blocks: list[tuple[str, str]] = []
    heading: str | None = None
    language: str | None = None
    lines: list[str] = []
    for line in markdown.splitlines():
        fence = FENCE.match(line)
        if language is None and fence:
            language, lines = fence.group(1), []
        elif language is not None and line.strip() == "```":
            if language == "python" and heading is not None:
                blocks.append((heading, "\n".join(lines) + "\n"))
            language = None
        elif language is not None:
            lines.append(line)
        elif line.startswith("## "):
            match = STEP_HEADING.match(line)
            heading = match.group(1) if match else None
    return blocks


def run_blocks(blocks: list[tuple[str, str]], folder: Path) -> int:
    """Execute the blocks in `folder`; return 0, or 1 after printing the failing step's traceback."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    timings: list[tuple[str, float]] = []
    previous = Path.cwd()
    os.chdir(folder)
    try:
        for heading, code in blocks:
            print(f"\n######## {heading}", flush=True)
            start = time.perf_counter()
            try:
                exec(compile(code, f"<{heading}>", "exec"), namespace)  # noqa: S102  (the point of the script)
            except Exception:  # noqa: BLE001  (report any failure with its step)
                traceback.print_exc()
                print(f"\nFAILED in {heading!r} after {time.perf_counter() - start:.1f} s", file=sys.stderr)
                return 1
            timings.append((heading, time.perf_counter() - start))
    finally:
        os.chdir(previous)

    print("\n######## Time per step (seconds)")
    for heading, seconds in timings:
        print(f"{seconds:8.1f}  {heading}")
    print(f"{sum(seconds for _, seconds in timings):8.1f}  total")
    print(f"Files written in {folder}: {sorted(path.name for path in folder.iterdir())}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tutorial", type=Path, help="Markdown file with the tutorial.")
    parser.add_argument("--keep", type=Path, help="Folder for the files the steps write (kept afterwards).")
    arguments = parser.parse_args()

    blocks = step_blocks(arguments.tutorial.read_text(encoding="utf-8"))
    if not blocks:
        print(f"No python blocks under '## Step N' headings in {arguments.tutorial}.", file=sys.stderr)
        return 1
    print(f"Running {len(blocks)} blocks: {[heading for heading, _ in blocks]}")
    if arguments.keep is not None:
        arguments.keep.mkdir(parents=True, exist_ok=True)
        return run_blocks(blocks, arguments.keep.resolve())
    with tempfile.TemporaryDirectory(prefix="genesis-tutorial-") as folder:
        return run_blocks(blocks, Path(folder))


if __name__ == "__main__":
    sys.exit(main())
