"""The laid-out book the fast PDF tests share, made once and kept on disk.

Laying a book out (pandoc, WeasyPrint) takes seconds; the PDF steps under test
(``pdfjoin``, ``pdfx``, ``preflight``) take a fraction of one. Mutation testing runs
the fast tests again for every mutant, so the layout is made once, by
``make_inputs.py`` in a process of its own (the real toolchain, never a mutant), and
kept in ``tests/.mutation-inputs/<key>``, the key a hash of the toolchain's code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bookbuild.cache import toolchain_fingerprint
from bookbuild.editions.finishing import FinishJob
from bookbuild.model import PrintSettings

HERE = Path(__file__).resolve().parent
KEPT = HERE.parent / ".mutation-inputs"
MAKER = HERE / "make_inputs.py"


def laid_out() -> Path:
    """The folder of inputs (see make_inputs.py), made now if it is not there yet."""
    key = hashlib.sha256(toolchain_fingerprint() + MAKER.read_bytes()).hexdigest()[:16]
    folder = KEPT / key
    if folder.is_dir():
        return folder
    partial = KEPT / f".{key}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    # The real toolchain, in a process of its own: sys.path[0] is this folder, not a mutated copy.
    subprocess.run([sys.executable, str(MAKER), str(partial)], check=True, capture_output=True, timeout=600,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        partial.rename(folder)
    except OSError:  # made at the same moment by another test run
        shutil.rmtree(partial, ignore_errors=True)
    for old in KEPT.iterdir():  # inputs of earlier versions of the code
        if old.name != key and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return folder


@dataclass(frozen=True)
class FinishInputs:
    """What the build gave the finishing steps and the join, for each segment and for the book."""

    jobs: list[FinishJob]
    blank_before: list[bool]
    printed: tuple[str, ...]  # the folio of each page of the print edition, the blank pages at its end too
    settings: PrintSettings

    @property
    def blank(self) -> frozenset[int]:
        """The print edition's pages (from 0) that the screen edition leaves out."""
        found, page = set(), 0
        for job, before in zip(self.jobs, self.blank_before):
            if before:
                found.add(page)
                page += 1
            found |= {page + n for n in job.blank_pages}
            page += pdf_pages(job.text)
        return frozenset(found)


def finish_inputs() -> FinishInputs:
    folder = laid_out()
    given = json.loads((folder / "finish.json").read_text())
    count = len(given["blank_before"])
    jobs = [FinishJob((folder / f"segment-{n}.pdf").read_bytes(), (folder / f"decoration-{n}.pdf").read_bytes(),
                      frozenset(given["blank_pages"][n]), tuple(map(tuple, given["links"][n]))) for n in range(count)]
    return FinishInputs(jobs, given["blank_before"], tuple(given["printed"]), PrintSettings(**given["settings"]))


def pdf_pages(data: bytes) -> int:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def edition(name: str) -> bytes:
    """``print`` or ``screen``: the edition the build wrote."""
    return (laid_out() / f"{name}.pdf").read_bytes()


def font_program(use, glyphs) -> tuple[bytes, int]:
    """What the build gives the join for each font file: its program cut for ``glyphs``."""
    import zlib

    from bookbuild import fonts

    program = fonts.subset_for_pdf(*use.original(), glyphs)
    return zlib.compress(program), len(program)


def press_of(settings: PrintSettings, profile=None):
    from bookbuild.editions.finishing import Press
    from bookbuild.printing import DEFAULT_COLOR_PROFILE

    return Press(settings, profile or DEFAULT_COLOR_PROFILE, hashlib.sha256((profile or DEFAULT_COLOR_PROFILE).read_bytes()).hexdigest())


def print_edition(given: FinishInputs, settings: PrintSettings | None = None, profile=None, jobs=None,
                  printed: tuple[str, ...] | None = None) -> bytes:
    """The print edition, finished and joined in this process as the build does it."""
    from bookbuild.editions.finishing import finish_print
    from bookbuild.editions.pdfjoin import join_print

    jobs = given.jobs if jobs is None else jobs
    press = press_of(settings or given.settings, profile)
    return join_print((finish_print(job, press) for job in jobs), given.blank_before[:len(jobs)],
                      printed or given.printed, jobs[0].text, press, font_program)


def screen_edition(given: FinishInputs, jobs=None) -> bytes:
    from bookbuild.editions.finishing import finish_screen
    from bookbuild.editions.pdfjoin import join_screen

    jobs = given.jobs if jobs is None else jobs
    labels = tuple(label for n, label in enumerate(given.printed) if n not in given.blank)
    return join_screen((finish_screen(job) for job in jobs), labels, jobs[0].text, font_program)
