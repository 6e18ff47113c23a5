#!/usr/bin/env python3
"""The typography report: how a book's print pages are set, read back from the PDF, beside
pandoc + xelatex setting the same Markdown at the same trim, margins and font (issue 19).

    python bench/typography.py BOOK [BOOK ...] [--out DIR] [--no-tex] [--ours PDF --tex PDF]

For each book folder it builds the print edition (build.py --formats print), and, when
xelatex is installed (Debian: texlive-xetex), the same chapters through pandoc and
xelatex with KOMA-Script's scrbook at the book's trim, the same margins (the inside one
as our build chose it for the page count), Source Serif Pro at 10.5 pt on 15.2 pt
lines; then it reads both PDFs' text positions with PDFium (tests/typography.py, the
tests' oracle, which says what each figure means) and prints them side by side:
loose lines a thousand justified lines, the median word gap, pages ending in a hyphen
(and of them rectos: a word split over a leaf), hyphen stacks, stub last lines, uneven
spreads and footnotes away from their calls. --faults lists where each of ours is.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))

from typography import Figures, measure  # noqa: E402  (the tests' oracle: tests/typography.py)


# --- building -----------------------------------------------------------------------------------


def build_ours(book: Path, out: Path) -> Path:
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(out),
                           "--formats", "print", "--quiet"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"our build of {book} failed:\n{done.stderr}")
    return next(out.glob("*-print.pdf"))


def build_tex(book: Path, out: Path, pages: int) -> Path | None:
    """The same chapters through pandoc and xelatex, at the book's trim and our margins."""
    import yaml
    from font_source_serif_pro import font_directory

    from run import concatenated_markdown

    sys.path.insert(0, str(REPO))
    from bookbuild import printing

    if not shutil.which("xelatex"):
        return None
    meta = yaml.safe_load((book / "metadata.yaml").read_text("utf-8"))
    trim = str((meta.get("print") or {}).get("trim", "6in 9in")).split()
    inside = printing.inside_margin_for(pages)
    out.mkdir(parents=True, exist_ok=True)
    markdown = out / "book.md"
    markdown.write_text(re.sub(r"\{\.part\}", "", concatenated_markdown(book)), "utf-8")
    header = out / "header.tex"
    header.write_text(
        "\\usepackage{fontspec}\n"
        f"\\setmainfont{{SourceSerifPro}}[Path={Path(font_directory)}/, Extension=.ttf, UprightFont=*-Regular, "
        "ItalicFont=*-It, BoldFont=*-Bold, BoldItalicFont=*-BoldIt]\n", "utf-8")
    pdf = out / "tex.pdf"
    import pypandoc

    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", str(markdown), "--top-level-division=chapter",
         "--pdf-engine=xelatex", "-V", "documentclass=scrbook", "-V", "classoption=fontsize=10.5pt",
         "-V", "linestretch=1.2", "-V", f"lang={meta.get('language', 'en')}",
         "-V", f"geometry:paperwidth={trim[0]},paperheight={trim[1]},top=0.75in,bottom=0.8in,"
               f"inner={inside}in,outer=0.6in",
         f"--resource-path={book / 'manuscript'}", "-H", str(header), "-o", str(pdf)],
        capture_output=True, text=True, cwd=out)
    if done.returncode != 0:
        print(f"pandoc + xelatex failed on {book}:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return pdf


def report(name: str, ours: Figures, tex: Figures | None) -> str:
    rows = [
        ("pages", f"{ours.pages}", lambda f: f"{f.pages}"),
        ("justified lines", f"{ours.justified}", lambda f: f"{f.justified}"),
        ("loose lines / 1000", f"{ours.loose_per_1000:.1f}", lambda f: f"{f.loose_per_1000:.1f}"),
        ("median gap (em)", f"{ours.median_gap:.3f}", lambda f: f"{f.median_gap:.3f}"),
        ("pages ending in - (rectos)", f"{ours.hyphen_pages} ({ours.hyphen_rectos})",
         lambda f: f"{f.hyphen_pages} ({f.hyphen_rectos})"),
        ("hyphen stacks (3 in a row)", f"{ours.stacks}", lambda f: f"{f.stacks}"),
        ("stub last lines", f"{ours.stubs}", lambda f: f"{f.stubs}"),
        ("uneven spreads", f"{ours.uneven} of {ours.spreads} ({_percent(ours.uneven, ours.spreads)})",
         lambda f: f"{f.uneven} of {f.spreads} ({_percent(f.uneven, f.spreads)})"),
        ("footnotes away from call", f"{ours.away} of {ours.calls}", lambda f: f"{f.away} of {f.calls}"),
    ]
    lines = [f"{name}", f"  {'measure':<28} {'ours':>18} {'TeX':>18}"]
    for label, mine, theirs in rows:
        lines.append(f"  {label:<28} {mine:>18} {theirs(tex) if tex else '-':>18}")
    return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("books", nargs="*", type=Path, help="book folders")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "typography")
    parser.add_argument("--no-tex", action="store_true", help="leave out pandoc + xelatex")
    parser.add_argument("--ours", type=Path, help="measure this PDF (no build)")
    parser.add_argument("--tex", type=Path, help="... beside this one")
    parser.add_argument("--faults", action="store_true", help="list where each fault is")
    options = parser.parse_args(argv)
    if options.ours:
        ours = measure(options.ours)
        tex = measure(options.tex) if options.tex else None
        print(report(str(options.ours), ours, tex))
        if options.faults:
            print("\n".join("  " + note for note in ours.notes))
        return 0
    for book in options.books:
        out = options.out / book.resolve().name
        shutil.rmtree(out, ignore_errors=True)
        pdf = build_ours(book.resolve(), out / "ours")
        ours = measure(pdf)
        tex_pdf = None if options.no_tex else build_tex(book.resolve(), out / "tex", ours.pages)
        tex = measure(tex_pdf) if tex_pdf else None
        print(report(f"{book} ({pdf.name})", ours, tex), flush=True)
        if options.faults:
            print("\n".join("  " + note for note in ours.notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
