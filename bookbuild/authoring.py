"""``init`` and ``new``: the skeletons of a book and of a chapter.

They only write Markdown and YAML that the next build reads like any other book;
a new book builds at once. Neither ever overwrites a file.
"""

from __future__ import annotations

import datetime

from pathlib import Path

import yaml

from . import ids
from .gather import CHAPTER_NAME, MANUSCRIPT
from .metadata import METADATA_FILE

BUILD_PY = Path(__file__).resolve().parent.parent / "build.py"
FIRST_CHAPTER = "The first thing"
_SLUG_LENGTH = 60  # characters: file names stay short enough for every file system
IGNORED = ("dist/", ".cache/")


class Refused(ValueError):
    """What was asked cannot be done without harm; the message says why and what to do."""


def holds_book(folder: Path) -> bool:
    return (folder / METADATA_FILE).exists() or (folder / MANUSCRIPT).exists()


def init_book(folder: Path, title: str, authors: list[str], language: str) -> list[Path]:
    """A new book folder: metadata, a first chapter, a .gitignore and a README for the author.
    Returns the files written (a README or .gitignore already there is kept)."""
    if holds_book(folder):
        raise Refused(f"{folder} already holds a book ({METADATA_FILE} or {MANUSCRIPT}/): "
                      f"add chapters with `build.py new \"Title\" --book {folder}`")
    folder.mkdir(parents=True, exist_ok=True)
    written = [_write_new(folder / METADATA_FILE, _metadata_yaml(title, authors, language))]
    (folder / MANUSCRIPT).mkdir()
    written.append(new_chapter(folder, FIRST_CHAPTER, body=_FIRST_CHAPTER_BODY))
    gitignore = folder / ".gitignore"
    kept = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
    missing = [line for line in IGNORED if line not in kept]
    if missing:
        with gitignore.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"{line}\n" for line in missing))
        written.append(gitignore)
    if not (folder / "README.md").exists():
        written.append(_write_new(folder / "README.md", _author_readme(title)))
    return written


def chapter_numbers(root: Path) -> dict[int, str]:
    """Each chapter number in the manuscript and its file name, drafts included."""
    manuscript = root / MANUSCRIPT
    found = {}
    for file in sorted(manuscript.iterdir()) if manuscript.is_dir() else []:
        match = CHAPTER_NAME.match(file.name)
        if match and file.is_file():
            found.setdefault(int(match.group(1)), file.name)
    return found


def new_chapter(root: Path, title: str, number: int | None = None, body: str = "") -> Path:
    """``manuscript/NNN-slug.md`` with front matter, numbered after the highest chapter
    (or ``number``); refuses a number already used, whatever the slug of its file."""
    title = " ".join(title.split())
    if not title:
        raise Refused("the chapter needs a title, e.g. `build.py new \"Water less than you think\"`")
    if not holds_book(root):
        raise Refused(f"{root} is not a book folder (it has no {METADATA_FILE} or {MANUSCRIPT}/): "
                      "start one with `build.py init DIR`, or give the book with --book DIR")
    taken = chapter_numbers(root)
    if number is None:
        number = max(taken, default=0) + 1
    if number in taken:
        raise Refused(f"chapter {number} exists already ({MANUSCRIPT}/{taken[number]}): leave out --number "
                      f"to take the next free one ({max(taken) + 1})")
    if not 1 <= number <= 9999:
        raise Refused(f"chapter numbers go from 1 to 9999, not {number}")
    (root / MANUSCRIPT).mkdir(exist_ok=True)
    return _write_new(root / MANUSCRIPT / f"{number:03d}-{_slug(title)}.md", _chapter(title, body))


def _slug(title: str) -> str:
    slug = ids.slugify(title) or "chapter"
    if len(slug) > _SLUG_LENGTH:
        slug = slug[:_SLUG_LENGTH].rsplit("-", 1)[0]
    return slug


def _write_new(path: Path, text: str) -> Path:
    """Write a file that must not exist yet: never overwrite an author's work."""
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise Refused(f"{path} exists already: it is left as it is")
    return path


def _yaml_line(key: str, value: object) -> str:
    return yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=1000)


def _chapter(title: str, body: str) -> str:
    return f"---\n{_yaml_line('title', title)}---\n\n{body}"


def _metadata_yaml(title: str, authors: list[str], language: str) -> str:
    """The new book's metadata: dated today (the publication date the editions print; the
    author changes it to the day the book comes out)."""
    author = authors[0] if len(authors) == 1 else authors
    today = datetime.date.today().isoformat()
    return (_yaml_line("title", title) + _yaml_line("author", author) + _yaml_line("language", language)
            + f"date: {today}  # the publication date the editions print\n" + _OPTIONAL_METADATA)


_OPTIONAL_METADATA = """
# Optional keys (remove the # to use one; README.md lists them all):
# subtitle: "A subtitle"
# description: "Two or three sentences for the download page and e-book shops."
# publisher: "Your name or your imprint"
# rights: "© 2026 Your Name. All rights reserved."
# cover: manuscript/images/cover.jpg
"""

_FIRST_CHAPTER_BODY = """Write the first of your things here, in Markdown. A blank line starts a
new paragraph; *one star* makes italics and **two** make bold.

## A section {#a-section}

A line starting with `##` starts a section. The `{#a-section}` after it is its
id: any chapter can point here with [[1#a-section]].^[A footnote: it sits at the
foot of its page in the PDFs, and pops up in the EPUB.]

Add the next chapter with `build.py new "Its title"`, and see the book as you
write with `build.py watch`.
"""


def _author_readme(title: str) -> str:
    # This repository's build.py where it is run from the repository; else the installed command.
    tool = f"python3 {BUILD_PY}" if BUILD_PY.is_file() else "bookbuild"
    return f"""# {title}

Your book: each chapter is a Markdown file in `manuscript/`, named `NNN-slug.md`
(`001-the-first-thing.md`); the number orders the chapters. `{METADATA_FILE}` holds the
title, author and language, and the optional keys listed in it.

## Write

- A new chapter, numbered after the last one: `{tool} new "Water less than you think"`
  (or `--number 12` for a number of your own choosing).
- Every chapter starts with front matter between `---` lines: `title:` (required),
  and if you like `subtitle:`, `draft: true` (left out of the book until you build
  with `--drafts`), `image:`, `image_alt:` and `image_credit:` (an opening image),
  `contents: true` (a short list of the chapter's sections).
- Images go in `manuscript/images/`: `![What it shows](images/pots.png)`.
- Front matter such as a preface goes in `manuscript/front/`, back matter in
  `manuscript/back/` (`01-preface.md`, ...), with the same front matter.

## Point at other chapters

- `[[12]]` links to chapter 12 and shows its number and title; `[[12|this]]` shows "this".
- `[[12#final-thoughts]]` links to the section `## Final thoughts {{#final-thoughts}}` of
  chapter 12; `[text](#some-id)` to a section of the same chapter.
- `[text](012-repot-only-when-asked.md)` works too, and in editors that follow links.

The print edition adds the page number after every cross-reference.

## See it and build it

- `{tool} watch` shows the whole book at http://127.0.0.1:8000/ and reloads it
  each time you save; mistakes are shown there with their file and line.
- `{tool} check` finds every mistake without building.
- `{tool}` builds the three editions into `dist/`: an EPUB for e-readers, a PDF
  for a printer and a PDF for reading on screen, with `dist/index.html`, a download
  page for readers (the printer's PDF is yours: add `downloads: {{print: true}}` to
  `{METADATA_FILE}` to offer it there too).

## Print

The print PDF (`dist/*-print.pdf`) is ready for a printer: PDF/X, CMYK, trim size with
bleed and crop marks. Set the page size and the printer in `{METADATA_FILE}`:

```yaml
print:
  trim: 5.5in 8.5in
  target: kdp        # or ingramspark, or generic (the default)
```

Every build checks the PDFs as a printer would and says what it found.
"""
