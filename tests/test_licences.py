"""Licences: the pinned set is exactly what pyproject.toml asks for, the third-party notice
names each of those packages at its pinned version (so neither goes stale silently), and
nothing that runs in-process is under the AGPL."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import distribution

from conftest import REPO
from packaging.requirements import Requirement

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NOTICE = REPO / "THIRD-PARTY-NOTICES.md"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_closure(requirements: list[str]) -> dict[str, str]:
    """Each package the requirements need, directly or through others (their extras and
    environment markers followed), and its installed version."""
    found: dict[str, str] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        wanted = todo.pop()
        key = (canonical(wanted.name), tuple(sorted(wanted.extras)))
        if key in seen:
            continue
        seen.add(key)
        package = distribution(wanted.name)
        found[canonical(wanted.name)] = package.version
        for text in package.requires or []:
            needed = Requirement(text)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in (*wanted.extras, "")):
                todo.append(needed)
    return found


RUNTIME = installed_closure(PROJECT["dependencies"])
TESTS = {name: version for name, version in installed_closure(PROJECT["optional-dependencies"]["test"]).items()
         if name not in RUNTIME}


def pinned() -> dict[str, str]:
    text = (REPO / "constraints.txt").read_text(encoding="utf-8")
    return {canonical(name): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.MULTILINE)}


def notice_table(heading: str) -> dict[str, str]:
    """The packages and versions of the table under ``## heading`` in the notice."""
    section = NOTICE.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|\s]+) \| ([^|\s]+) \|", section, re.MULTILINE)
    return {canonical(name): version for name, version in rows if name not in ("package", "---")}


BENCH_HEADING = "Python packages the benchmarks use"


def test_the_pinned_set_is_what_the_package_and_its_tests_need_as_installed():
    """And the benchmarks' packages, which a build and the tests do not install (their
    closure is read from the notice, which names each at the version pinned)."""
    bench = notice_table(BENCH_HEADING)
    assert pinned() == RUNTIME | TESTS | bench
    assert not set(bench) & (set(RUNTIME) | set(TESTS))
    assert {canonical(Requirement(wanted).name) for wanted in PROJECT["optional-dependencies"]["bench"]} <= set(bench)


def test_the_notice_names_every_runtime_package_at_its_pinned_version():
    assert notice_table("Python packages the toolchain runs (in-process)") == {name: pinned()[name] for name in RUNTIME}


def test_the_notice_names_every_test_package_at_its_pinned_version():
    assert notice_table("Python packages the tests use") == {name: pinned()[name] for name in TESTS}


def test_nothing_that_runs_in_process_is_under_the_agpl():
    """This repository is MIT-licensed: an AGPL library in-process (EbookLib was one) would
    bind every copy of the toolchain to the AGPL."""
    for name in RUNTIME:
        metadata = distribution(name).metadata
        declared = " ".join([metadata.get("License-Expression") or "", metadata.get("License") or "",
                             *(metadata.get_all("Classifier") or [])])
        assert "AGPL" not in declared and "Affero" not in declared, name


def test_the_licence_is_the_one_the_package_declares():
    assert PROJECT["license"] == "MIT"
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert set(PROJECT["license-files"]) == {"LICENSE", NOTICE.name}
