"""Mutation testing of the package: how many small breakages the fast tests notice.

    .venv/bin/python tools/mutation.py                      every module of the package, then the table
    .venv/bin/python tools/mutation.py resolve editions/pdfx  some of them (a name unique by itself,
                                                            such as pdfx, will do)
    .venv/bin/python tools/mutation.py --table              the table of the last run again
    .venv/bin/python tools/mutation.py --fuzz [--examples N] [--seed S]
                                                            a long, randomly seeded fuzz run

Not part of `make test`: a full run takes hours on two cores. mutmut (settings
in pyproject.toml, ``[tool.mutmut]``) makes each small change ("mutant") to the package's
modules in a copy of the code, and runs the fast tests (``tests/unit/``) that call the
changed function, in-process: a mutant is killed when one of them fails. The run works in
a copy of the repository (``--workdir``), so the repository can be edited meanwhile.

The table gives, per module: mutants made; killed; timeouts (the tests ran past their time
limit, which a test run notices too, so they count as detected); survived; "no tests" (no
fast test calls the function); equivalent mutants, which cannot change behaviour and are
left out of the denominator only when tools/equivalent-mutants.md explains each one; and
the score, (killed + timeouts) / (mutants - equivalent). Line coverage of each module
under the same fast tests (coverage.py) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "bookbuild"


def _modules() -> dict[str, str]:
    """Every module of the package: its name (its path under bookbuild/, without .py) -> file.
    Package markers (``__init__``, ``__main__``) hold no logic worth a row."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name not in ("__init__.py", "__main__.py"):
            found[path.relative_to(PACKAGE).with_suffix("").as_posix()] = path.relative_to(REPO).as_posix()
    return found


MODULES = _modules()  # name -> file
FAST_TESTS = "tests/unit/"
EQUIVALENT = REPO / "tools" / "equivalent-mutants.md"
TARGET = 80.0  # percent of mutants killed, each module
KILLED, TIMEOUT, SURVIVED, NO_TESTS = (1, 3), (-24, 24, 152, 255, 36, -9), (0,), (5, 33)
# What tests/test_fuzz.py is to read for a long run: the seed, and how many books to try.
FUZZ_SEED, FUZZ_EXAMPLES = "BOOKBUILD_FUZZ_SEED", "BOOKBUILD_FUZZ_EXAMPLES"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help="which modules (their path under bookbuild/, without .py, or a name unique by itself); all by default")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bookbuild-mutation",
                        help="where the copy of the repository and mutmut's results go")
    parser.add_argument("--tests", nargs="+", metavar="TEST",
                        help=f"judge the mutants with these tests instead of {FAST_TESTS} (pytest node ids)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the other modules' results in --workdir: run the modules named again after an edit")
    parser.add_argument("--table", action="store_true", help="only print the table of the last run in --workdir")
    parser.add_argument("--no-coverage", action="store_true", help="leave out the line coverage column")
    parser.add_argument("--fuzz", action="store_true", help="run tests/test_fuzz.py long, with a random seed, instead")
    parser.add_argument("--examples", type=int, default=2000, help="books the fuzz run tries (default 2000)")
    parser.add_argument("--seed", type=int, help="the fuzz run's seed (default: a random one, printed)")
    args = parser.parse_args()
    if args.fuzz:
        return fuzz(args.seed if args.seed is not None else random.SystemRandom().randrange(2**32), args.examples)
    modules = []
    for name in args.modules:
        matching = [name] if name in MODULES else [module for module in MODULES if module.rsplit("/", 1)[-1] == name]
        if len(matching) != 1:
            parser.error(f"{'no' if not matching else 'more than one'} module {name}: choose from {', '.join(MODULES)}")
        modules.append(matching[0])
    modules = modules or list(MODULES)
    started = time.monotonic()
    if not args.table:
        run_mutmut(args.workdir, modules, args.max_children, args.tests, args.keep)
    coverage = {} if args.no_coverage else line_coverage(args.workdir, modules, args.tests or [FAST_TESTS])
    print(table(args.workdir, modules, coverage))
    if not args.table:
        print(f"\nmutation run: {time.monotonic() - started:.0f} s wall, --max-children {args.max_children}")
    return 0


# --- running mutmut --------------------------------------------------------------------


def run_mutmut(workdir: Path, modules: list[str], max_children: int, tests: list[str] | None, keep: bool) -> None:
    """A fresh copy of the repository in ``workdir`` (with ``keep``, copied over the last
    one, whose results stay), and mutmut run there on ``modules``."""
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    elif workdir.is_dir():
        for entry in workdir.iterdir():  # all but mutmut's results
            if entry.name not in ("mutants", ".tmp"):
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    shutil.copytree(REPO, workdir, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "mutants", ".cache", "dist", "__pycache__", ".pytest_cache", ".hypothesis", ".tools",
        ".mutation-inputs"))
    settings = workdir / "pyproject.toml"
    # Only the modules asked for are mutated: making the mutants of the whole package takes
    # minutes on a loaded machine, and a run of one module needs none of the others'.
    everything = 'only_mutate = ["bookbuild/*"]'
    assert everything in settings.read_text(), "pyproject.toml's [tool.mutmut] mutates the package otherwise"
    settings.write_text(settings.read_text().replace(everything, f"only_mutate = {json.dumps([MODULES[m] for m in modules])}"))
    if tests:
        selection = f"pytest_add_cli_args_test_selection = {json.dumps([FAST_TESTS])}"
        assert selection in settings.read_text(), "pyproject.toml's [tool.mutmut] names the fast tests otherwise"
        settings.write_text(settings.read_text().replace(selection, f"pytest_add_cli_args_test_selection = {json.dumps(tests)}"))
    # Temporary files (pytest's, the output lock) in a folder of this run's own, away from
    # other test runs on the machine.
    temp = workdir / ".tmp"
    temp.mkdir(exist_ok=True)
    patterns = [mutant_pattern(module) for module in modules]
    subprocess.run([str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(max_children), *patterns],
                   cwd=workdir, check=True, env={**os.environ, "TMPDIR": str(temp), "PYTHONDONTWRITEBYTECODE": "1"})


def mutant_pattern(module: str) -> str:
    """mutmut names a mutant ``bookbuild.editions.pdfx.x__set_boxes__mutmut_3``."""
    return MODULES[module].removesuffix(".py").replace("/", ".") + ".*"


def line_coverage(workdir: Path, modules: list[str], tests: list[str]) -> dict[str, float]:
    """Percent of each module's lines that the tests run (coverage.py), in the copy."""
    if not workdir.is_dir():
        return {}
    data = workdir / ".tmp" / "coverage"
    report = workdir / ".tmp" / "coverage.json"
    env = {**os.environ, "TMPDIR": str(workdir / ".tmp"), "COVERAGE_FILE": str(data)}
    tested = subprocess.run([sys.executable, "-m", "coverage", "run", "--source=bookbuild", "-m", "pytest", "-q",
                             "-p", "no:cacheprovider", *tests], cwd=workdir, env=env, capture_output=True, text=True)
    if tested.returncode != 0:
        print(f"note: the tests failed while coverage was measured:\n{tested.stdout[-2000:]}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "coverage", "json", "-q", "-o", str(report)], cwd=workdir, env=env,
                   check=True)
    files = json.loads(report.read_text())["files"]
    return {module: files[MODULES[module]]["summary"]["percent_covered"] for module in modules if MODULES[module] in files}


# --- the table ---------------------------------------------------------------------------


def equivalent_mutants() -> dict[str, str]:
    """Mutant name -> why it cannot change behaviour, from tools/equivalent-mutants.md:
    each a heading ``### `name` `` followed by its explanation."""
    text = EQUIVALENT.read_text(encoding="utf-8") if EQUIVALENT.exists() else ""
    found = {}
    for name, body in re.findall(r"^### `([^`]+)`\n(.*?)(?=^### |^## |\Z)", text, re.MULTILINE | re.DOTALL):
        explanation = "\n".join(line for line in body.splitlines() if not line.startswith(("```", "-", "+", "@")))
        if explanation.strip():
            found[name] = explanation.strip()
    return found


def table(workdir: Path, modules: list[str], coverage: dict[str, float]) -> str:
    explained = equivalent_mutants()
    rows = [("module", "mutants", "killed", "timeout", "survived", "no tests", "equivalent", "score", "lines covered")]
    notes = []
    for module in modules:
        meta = workdir / "mutants" / (MODULES[module] + ".meta")
        if not meta.exists():
            rows.append((module, "not run", "", "", "", "", "", "", ""))
            continue
        results = json.loads(meta.read_text())["exit_code_by_key"]
        killed = sum(code in KILLED for code in results.values())
        timeouts = sum(code in TIMEOUT for code in results.values())
        survived = [name for name, code in results.items() if code in SURVIVED]
        untested = sum(code in NO_TESTS for code in results.values())
        equivalent = [name for name in survived if name in explained]
        for name in explained:
            if name.startswith(mutant_pattern(module)[:-1]) and name in results and name not in survived:
                notes.append(f"{name} is listed as equivalent but was killed: take it off the list")
        counted = len(results) - len(equivalent)
        score = 100 * (killed + timeouts) / counted if counted else 0.0
        if score < TARGET:
            notes.append(f"{module}: {score:.1f}% is under the {TARGET:.0f}% wanted")
        rows.append((module, str(len(results)), str(killed), str(timeouts), str(len(survived) - len(equivalent)),
                     str(untested), str(len(equivalent)), f"{score:.1f}%",
                     f"{coverage[module]:.0f}%" if module in coverage else "-"))
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(width) if n == 0 else cell.rjust(width) for n, (cell, width) in
                                enumerate(zip(row, widths))) + " |" for row in rows]
    lines.insert(1, "| " + " | ".join("-" * width for width in widths) + " |")
    lines.append(f"\nscore = (killed + timeout) / (mutants - equivalent); equivalent mutants, each explained: "
                 f"{EQUIVALENT.relative_to(REPO)}; surviving ones: mutmut results / mutmut show NAME in {workdir}")
    return "\n".join(lines + notes)


# --- fuzzing ---------------------------------------------------------------------------


def fuzz(seed: int, examples: int) -> int:
    """tests/test_fuzz.py with a random seed and many more books than `make test` tries.
    The seed is printed first, so that a failure can be run again with --seed."""
    print(f"fuzzing: {FUZZ_SEED}={seed} {FUZZ_EXAMPLES}={examples}", flush=True)
    env = {**os.environ, FUZZ_SEED: str(seed), FUZZ_EXAMPLES: str(examples)}
    with tempfile.TemporaryDirectory(prefix="bookbuild-fuzz-") as temp:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={temp}/pytest",
                               "tests/test_fuzz.py"], cwd=REPO, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
