"""Gather: find the book's files, read their front matter, put them in order."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from . import characters, ids
from .theme import check_book_styles
from .metadata import load_metadata, position_of_byte, read_yaml, text_value
from .resources import ResourceRefused, read_inside
from .model import Book, BookError, PartKind, Problem, SourceFile, did_you_mean, error, warning

MANUSCRIPT = "manuscript"
CHAPTER_NAME = re.compile(r"^(\d{1,4})(?:[-_. ].*)?\.md$", re.IGNORECASE)
FRONT_MATTER_KEYS = {"title", "subtitle", "running_head", "draft", "image", "image_alt", "image_credit", "contents",
                     "source", "published"}  # where an imported post came from, and when (for the author)


def gather(root: Path, include_drafts: bool = False) -> Book:
    """Read and check the whole book folder.

    Problems are collected, not raised, so that parse and resolve can report theirs in
    the same run; only a book with no manuscript/ folder at all stops here.
    """
    metadata, problems = load_metadata(root)
    manuscript = root / MANUSCRIPT
    if not manuscript.is_dir():
        problems.append(error(MANUSCRIPT, 1, 1, "manuscript/ folder is missing: put the chapters in manuscript/NNN-slug.md"))
        raise BookError(problems)

    chapters: list[SourceFile] = []
    by_number: dict[int, str] = {}
    for file in _markdown_files(manuscript):
        rel = _relative(root, file)
        match = CHAPTER_NAME.match(file.name)
        if not match:
            problems.append(error(rel, 1, 1, f"`{file.name}` is not a numbered chapter: name it NNN-slug.md (e.g. 012-{ids.slugify(file.stem) or 'title'}.md) or move it out of manuscript/"))
            continue
        number = int(match.group(1))
        if number in by_number:
            problems.append(error(rel, 1, 1, f"chapter number {number} is used twice: {by_number[number]} and {rel}; renumber one of them"))
            continue
        by_number[number] = rel
        chapters.append(_read_source(root, file, PartKind.CHAPTER, number, ids.chapter_id(number), problems))

    problems.extend(check_book_styles(root))
    front = _read_folder(root, manuscript / "front", PartKind.FRONT, problems)
    back = _read_folder(root, manuscript / "back", PartKind.BACK, problems)

    if not by_number:
        problems.append(error(MANUSCRIPT, 1, 1, "no chapters found: add files named NNN-slug.md to manuscript/"))
    chapters.sort(key=lambda c: c.number)
    left_out = frozenset(c.number for c in chapters if c.draft and not include_drafts)
    chapters = [c for c in chapters if c.number not in left_out]
    if by_number and not chapters and not any(p.is_error for p in problems):
        problems.append(error(MANUSCRIPT, 1, 1, "every chapter is a draft: build with --drafts, or set `draft: false`"))
    return Book(root, metadata, tuple(front + chapters + back), left_out, include_drafts, tuple(problems))


def _read_folder(root: Path, folder: Path, kind: PartKind, problems: list[Problem]) -> list[SourceFile]:
    if not folder.is_dir():
        return []
    files = _markdown_files(folder)
    # Ids from every file's name, drafts too, so that building with drafts changes no id.
    part_ids = ids.matter_ids(kind, [file.name for file in files])
    found = [_read_source(root, file, kind, None, part_id, problems) for file, part_id in zip(files, part_ids)]
    for n, part_id in enumerate(part_ids):
        if part_id in part_ids[:n]:  # two names the same once normalised, or a name made to match a hash
            other = found[part_ids.index(part_id)].path
            problems.append(error(found[n].path, 1, 1, f"this file would have the same id as {other} "
                                                       f"(`{part_id}`): rename one of them"))
    return [f for f in found if not f.draft]


def _markdown_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".md" and not p.is_dir())


def _relative(root: Path, file: Path) -> str:
    return file.relative_to(root).as_posix()


def _read_source(root: Path, file: Path, kind: PartKind, number: int | None, part_id: str,
                 problems: list[Problem]) -> SourceFile:
    """Read one file. A file with problems still stands in the book (with what could be
    read of it), so references to it resolve and its own references are still checked."""
    rel = _relative(root, file)
    placeholder = SourceFile(rel, kind, part_id, number, title="", body="", body_line=1)
    try:
        raw = read_inside(root, file)
    except ResourceRefused as refused:
        problems.append(error(rel, 1, 1, str(refused)))
        return placeholder
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = position_of_byte(raw, exc.start)
        problems.append(error(rel, line, col, "file is not UTF-8: save it as UTF-8"))
        return placeholder
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    if lines[0].rstrip() != "---":
        problems.append(error(rel, 1, 1, "no front matter: start the file with `---`, a `title: ...` line and `---`"))
        problems.extend(characters.problems_in("\n".join(lines), rel))
        return replace(placeholder, body="\n".join(lines))
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.append(error(rel, 1, 1, "front matter is not closed: add a `---` line after its last key"))
        return placeholder
    placeholder = replace(placeholder, body="\n".join(lines[end + 1:]), body_line=end + 2)
    # The front matter's are found as its YAML is read.
    problems.extend(characters.problems_in(placeholder.body, rel, placeholder.body_line))
    doc, yaml_problems = read_yaml("\n".join(lines[1:end]), rel, first_line=2)
    problems.extend(yaml_problems)
    if doc is None:
        return placeholder

    for key in doc.data:
        if key not in FRONT_MATTER_KEYS:
            line, col = doc.where(str(key))
            problems.append(warning(rel, line, col, f"unknown front matter key `{key}` is ignored{did_you_mean(str(key), FRONT_MATTER_KEYS)}"))
    before = len(problems)
    title = text_value(doc, "title", rel, problems)
    if not title and len(problems) == before:
        problems.append(error(rel, 1, 1, "front matter has no `title`: add `title: ...` between the `---` lines"))
    flags = {}
    for key in ("draft", "contents"):
        value = doc.data.get(key, False)
        if not isinstance(value, bool):
            line, col = doc.where(key)
            problems.append(error(rel, line, col, f"`{key}` must be true or false"))
            value = False
        flags[key] = value
    image = text_value(doc, "image", rel, problems)
    image_alt = text_value(doc, "image_alt", rel, problems)
    image_line = doc.where("image")[0]
    if image and not image_alt:
        problems.append(warning(rel, image_line, 1, "the opening image has no `image_alt`: shown as decorative; describe it if it carries meaning"))
    return replace(
        placeholder,
        title=title,
        subtitle=text_value(doc, "subtitle", rel, problems),
        running_head=text_value(doc, "running_head", rel, problems),
        draft=flags["draft"],
        image=image,
        image_alt=image_alt,
        image_credit=text_value(doc, "image_credit", rel, problems),
        image_line=image_line,
        contents=flags["contents"],
    )
