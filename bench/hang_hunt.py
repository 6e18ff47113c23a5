"""Run one build many times, two at once, to find a rare hang: the build of
tests/test_exit_codes.py::test_a_broken_typesetter_is_a_bug (WeasyPrint broken, --jobs 2)
by default. Prints how the runs ended and their slowest times; a run past --timeout is
a hang: every process of its group is sent SIGABRT first (PYTHONFAULTHANDLER prints where
each Python process was), and its stderr is kept.

    .venv/bin/python bench/hang_hunt.py --runs 200 [--jobs 2] [--timeout 60]
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == group:
                    members.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return members


def one_run(n: int, work: Path, jobs: str, timeout: float) -> tuple[str, float, str]:
    folder = work / f"run-{n}"
    site = folder / "site" / "weasyprint"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text('raise RuntimeError("weasyprint is broken in this environment")\n')
    book = folder / "book"
    shutil.copytree(REPO / "tests" / "books" / "refs", book, ignore=shutil.ignore_patterns(".cache", "dist"))
    env = {**os.environ, "PYTHONPATH": str(folder / "site"), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONFAULTHANDLER": "1"}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--book", str(book), "--formats", "print",
                                "--jobs", jobs], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=env, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        wchans = {pid: Path(f"/proc/{pid}/wchan").read_text() for pid in group_members(process.pid)}
        for pid in wchans:
            os.kill(pid, signal.SIGABRT)
        time.sleep(2)
        for pid in group_members(process.pid):
            os.kill(pid, signal.SIGKILL)
        _, stderr = process.communicate()
        (work / f"hang-{n}.log").write_text(f"{wchans}\n{stderr}")
        return "hang", time.monotonic() - started, str(work / f"hang-{n}.log")
    seconds = time.monotonic() - started
    shutil.rmtree(folder)
    ok = process.returncode == 3 and "RuntimeError: weasyprint is broken" in stderr
    return ("exit 3" if ok else f"unexpected exit {process.returncode}"), seconds, stderr[-400:] if not ok else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--jobs", default="2")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--at-once", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bookbuild-hang-hunt-"))
    with ThreadPoolExecutor(args.at_once) as pool:
        results = list(pool.map(lambda n: one_run(n, work, args.jobs, args.timeout), range(args.runs)))
    endings = collections.Counter(ending for ending, _, _ in results)
    times = sorted(seconds for _, seconds, _ in results)
    print(f"{args.runs} runs, --jobs {args.jobs}, {args.at_once} at once, load {os.getloadavg()[0]:.1f}: "
          + ", ".join(f"{count} {ending}" for ending, count in endings.items()))
    print(f"seconds: median {times[len(times) // 2]:.1f}, slowest {times[-1]:.1f}")
    for ending, _, detail in results:
        if ending != "exit 3":
            print(ending, detail)
    return 0 if set(endings) == {"exit 3"} else 1


if __name__ == "__main__":
    sys.exit(main())
