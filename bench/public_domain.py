#!/usr/bin/env python3
"""A long public-domain book to measure on: a Jane Austen novel as a book folder.

    python bench/public_domain.py OUT [--novel prideprejudice|persuasion|emma|...]

The text comes from Debian's package r-cran-janeaustenr (Jane Austen's novels, public
domain, as prepared by Project Gutenberg), fetched with `apt-get download` (no
installation, no R) and read with the `rdata` package (the `bench` extra: pip install -c constraints.txt
-e ".[bench]"). Nothing of it is kept in this repository. Each chapter becomes
manuscript/NNN-chapter-N.md; Gutenberg's _underscores_ are Markdown's emphasis already.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import zlib
from pathlib import Path

_CHAPTER = re.compile(r"^chapter\s+([0-9ivxlc]+)\.?\s*$", re.IGNORECASE)


def novel_lines(novel: str) -> list[str]:
    import rdata

    with tempfile.TemporaryDirectory() as work:
        subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=work, check=True, capture_output=True)
        package = next(Path(work).glob("*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(package), "x"], cwd=work, check=True)
        data = next(Path(work, "x").rglob("janeaustenr/data"))
        index = rdata.conversion.convert(rdata.parser.parse_data((data / "Rdata.rdx").read_bytes()))
        offset, length = (int(v) for v in index["variables"][novel])
        chunk = (data / "Rdata.rdb").read_bytes()[offset:offset + length]
        import warnings

        warnings.simplefilter("ignore")  # rdata says it assumed an RDS file: it is one
        return [str(line) for line in rdata.conversion.convert(rdata.parser.parse_data(zlib.decompress(chunk[4:])))]


def make_book(out: Path, novel: str) -> int:
    lines = novel_lines(novel)
    title = next(line.strip() for line in lines if line.strip())
    chapters: list[tuple[str, list[str]]] = []
    for line in lines:
        if _CHAPTER.match(line.strip()):
            chapters.append((line.strip().title(), []))
        elif chapters:
            chapters[-1][1].append(line)
    manuscript = out / "manuscript"
    manuscript.mkdir(parents=True, exist_ok=True)
    for number, (heading, body) in enumerate(chapters, start=1):
        text = "\n".join(body).strip()
        text = re.sub(r"\n{3,}", "\n\n", text)
        (manuscript / f"{number:03d}-chapter-{number}.md").write_text(
            f'---\ntitle: "{heading}"\n---\n\n{text}\n', "utf-8")
    (out / "metadata.yaml").write_text(
        f'title: "{title.title()}"\nauthor: "Jane Austen"\nlanguage: en-GB\ndate: 1813-01-28\n', "utf-8")
    return len(chapters)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--novel", default="prideprejudice")
    options = parser.parse_args()
    count = make_book(options.out, options.novel)
    print(f"{options.out}: {count} chapters", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
