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
from pathlib import Path

from bookbuild.cache import toolchain_fingerprint
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


def join_inputs() -> tuple[list[bytes], list[bytes], list[bool], tuple[str, ...]]:
    folder = laid_out()
    given = json.loads((folder / "join.json").read_text())
    count = len(given["blank_before"])
    return ([(folder / f"segment-{n}.pdf").read_bytes() for n in range(count)],
            [(folder / f"decoration-{n}.pdf").read_bytes() for n in range(count)],
            given["blank_before"], tuple(given["labels"]))


def press_inputs() -> tuple[bytes, PrintSettings, tuple[str, ...]]:
    """The joined layout, and the settings and printed folios the build gave press_ready."""
    folder = laid_out()
    given = json.loads((folder / "press.json").read_text())
    return (folder / "joined.pdf").read_bytes(), PrintSettings(**given["settings"]), tuple(given["labels"])


def edition(name: str) -> bytes:
    """``print`` or ``screen``: the edition the build wrote."""
    return (laid_out() / f"{name}.pdf").read_bytes()
