"""Fuzz `build.py check` with random small books, good and bad, and plant known errors.

Hypothesis writes books with random metadata, chapter files (numbers, slugs,
duplicates, unnumbered names), front matter (missing, unterminated, not a
mapping, no title, drafts), and Markdown bodies mixing paragraphs, headings with
and without ``{#id}`` (and headings that are an image, or empty), lists, emphasis, footnotes, code, raw HTML (including
what the sanitizer must remove) and every cross-reference form of the contract,
pointing at chapters, sections and images that exist and that do not.

The properties:

- whatever the book, `check` answers like the contract says: exit 0 or 1 and
  nothing else, never a traceback, and with exit 1 every problem printed as
  ``path:line:col: error|warning: message``;
- check and build agree: a book that `check` accepts builds (every one as an EPUB,
  whose build runs the EPUB's own preflight; the first few in all three editions, where
  only the PDFs' preflight, which `check` says it leaves to a build, may refuse it), and
  its EPUB passes EPUBCheck (the first few such books: each EPUBCheck takes seconds);
- the same book with one known error planted in it (a missing chapter, a missing
  section id, a missing or remote image, front matter that is not YAML, a second
  chapter with a number in use) is refused with exactly that error, at its
  ``path:line:col``, and no other.

The run is the same every time (seed ``BOOKBUILD_FUZZ_SEED``, 2 unless set;
``random`` for a new one, printed). ``BOOKBUILD_FUZZ_EXAMPLES`` books are tried (40
unless set) and ``BOOKBUILD_FUZZ_BUILDS`` of those `check` accepts are built (3
unless set): the long, randomly seeded run of the mutation script sets all three.
``test_seed_book`` checks the same contract on a few fixed books with which this
fuzzer once found a bug. A failure shows the whole book; shrinking is off to keep
the run short (set BOOKBUILD_FUZZ_SHRINK=1 to turn it on).

Run with ``-s`` to see how many examples ran, were built and had an error planted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from conftest import epubcheck, epubcheck_summary, run_build

PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: (error|warning): .+")
SUMMARY_LINE = re.compile(r"^(\d+) errors? found$")  # check never writes, so it says no more
_SEED = os.environ.get("BOOKBUILD_FUZZ_SEED", "2")  # 2: a fixed run with books of both kinds, every error planted
SEED = random.randrange(2**32) if _SEED == "random" else int(_SEED)
EXAMPLES = int(os.environ.get("BOOKBUILD_FUZZ_EXAMPLES", "40"))
EPUB_BUILDS = int(os.environ.get("BOOKBUILD_FUZZ_BUILDS", "3"))  # books that pass `check` also built and EPUBChecked
LAYOUT_BUILDS = int(os.environ.get("BOOKBUILD_FUZZ_LAYOUTS", "2"))  # books that pass `check` built in all three editions
# What `check` says it leaves to a build, and the only errors a book it accepts may get there.
LAYOUT_ONLY = "what only the layout shows (the pages, the PDFs' preflight) is checked by a build"
LAYOUT_ERROR = re.compile(r"^metadata\.yaml:1:1: error: preflight of [^:]+-(print|screen)\.pdf: ")

STATS = {"examples": 0, "passed_check": 0, "failed_check": 0, "built": 0, "epub_only": 0, "laid_out": 0, "planted": 0}
PLANTED: dict[str, int] = {}  # how many errors of each kind were planted and refused
_BUILD_FAILED = False  # once a build fails, keep building, so that Hypothesis replays (and shrinks) it


# --- images the books may use ----------------------------------------------------


def _image_bytes(kind: str) -> bytes:
    from PIL import Image

    picture = Image.new("RGB", (8, 6), (30, 120, 60))
    out = io.BytesIO()
    picture.save(out, format=kind)
    return out.getvalue()


SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
       b'width="10" height="10" viewBox="0 0 10 10"><rect width="10" height="10" fill="#3a3"/></svg>\n')
IMAGES = {"images/leaf.png": lambda: _image_bytes("PNG"), "images/pot.jpg": lambda: _image_bytes("JPEG"),
          "images/sun.svg": lambda: SVG}
MISSING_IMAGES = ["images/nope.png", "images/leaf.PNG", "pics/leaf.png", "images/", "../../outside.png",
                  "../metadata.yaml", "images/leaf.png?x=1"]
REMOTE_IMAGES = ["https://example.com/x.png", "http://example.invalid/y.jpg", "file:///etc/hostname",
                 "/etc/hostname", "data:image/png;base64,iVBORw0KGgo=", "//example.com/z.png"]


# --- the pieces of a book ----------------------------------------------------------


WORDS = ["plant", "water", "light", "soil", "final", "thoughts", "root", "leaf", "pot", "sun",
         "café", "naïve", "日本", "🌱", "a&b", "x < y", "“quoted”", "it's", "--", "...", "$5", "100%",
         "C:\\path", "a|b", "[x]", "#hash", "*", "_", "\\", "<b>", "&amp;", "'"]
SAFE_WORDS = ["plant", "water", "light", "soil", "final", "thoughts", "root", "leaf", "pot", "sun", "care", "shade"]
RAW_INLINE = [
    '<span onclick="alert(1)">click</span>', "<script>alert(1)</script>", '<b>bold</b>', "<br>",
    '<span class="note" onmouseover="x()">hover</span>', '<a href="javascript:alert(1)">js</a>',
    '<em>raw em</em>', '<img src="images/leaf.png" alt="raw leaf">', '<img src="images/none.png" alt="raw none">',
    '<img src="https://example.com/raw.png" alt="raw remote">', '<iframe src="https://example.com/"></iframe>',
    '<embed src="x.swf">', '<span style="color: green">green</span>', "<kbd>Ctrl</kbd>", "<!-- a comment -->",
]
RAW_BLOCKS = [
    "<script>\nalert('hi');\n</script>",
    '<iframe src="https://example.com/embed" width="300"></iframe>',
    '<div class="box" onclick="steal()">\n\nA box with *Markdown* inside.\n\n</div>',
    '<object data="movie.swf"></object>',
    '<form action="https://example.com/post"><input name="q"></form>',
    "<table><tr><td>cell</td></tr></table>",
    '<div id="raw-div">a div with an id</div>',
    "<aside>An aside.</aside>",
    "<style>p { color: red; }</style>",
    '<p onload="x()">para</p>',
    '<svg width="20" height="20"><rect width="20" height="20" fill="green"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><circle cx="10" cy="10" r="9"/></svg>',
]

slugs = st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True)
ids = st.from_regex(r"[a-z][a-z0-9-]{0,9}", fullmatch=True)


@dataclass
class Chapter:
    name: str  # file name in manuscript/
    number: int | None
    ids: list[str] = field(default_factory=list)


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


@st.composite
def words(draw, pool=WORDS, min_size=1, max_size=5) -> str:
    return " ".join(draw(st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size)))


@st.composite
def metadata_yaml(draw, clean: bool) -> str | None:
    title = draw(words(SAFE_WORDS + ["Café", "日本", "&", "Houseplants:"], max_size=4))
    good = f"title: {_yaml_string(title)}\nauthor: {_yaml_string(draw(words(SAFE_WORDS, max_size=2)))}\nlanguage: en-GB\n"
    fine = ["good"] * 4 + ["extras", "authors", "unknown-key", "cover"]
    broken = ["missing", "empty", "list", "no-title", "bad-yaml", "bad-language", "bad-isbn", "bad-cover", "bad-print",
              "bad-date"]
    kind = draw(st.sampled_from(fine if clean else fine + broken))
    return {
        "good": good,
        "extras": good + 'subtitle: "A subtitle"\npublisher: P\ndate: 2024-02-29\nsubjects: [plants, care]\n'
                         'description: "About <plants> & care"\nrights: CC-BY\n',
        "authors": f"title: {_yaml_string(title)}\nauthor:\n  - One\n  - Two\nlanguage: en\n",
        "missing": None,
        "empty": "",
        "list": "- title\n- author\n",
        "no-title": "author: A\nlanguage: en\n",
        "bad-yaml": "title: a: b\nauthor: [unclosed\n",
        "bad-language": good.replace("en-GB", "english please"),
        "bad-isbn": good + "isbn:\n  epub: 9780000000000\n",
        "unknown-key": good + "colour: green\n",
        "cover": good + "cover: manuscript/images/leaf.png\n",
        "bad-cover": good + f"cover: {draw(st.sampled_from(MISSING_IMAGES + REMOTE_IMAGES))}\n",
        "bad-print": good + "print:\n  trim: huge\n  marks: sparkly\n",
        "bad-date": good + "date: 2024-13-45\n",
    }[kind]


@st.composite
def chapter_files(draw, clean: bool) -> list[Chapter]:
    chapters: list[Chapter] = []
    names: set[str] = set()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["numbered"] if clean else ["numbered"] * 5 + ["duplicate", "unnumbered"]))
        numbers = [c.number for c in chapters if c.number is not None]
        if kind == "unnumbered":
            number = None
            name = draw(slugs) + draw(st.sampled_from([".md", ".MD", ".markdown.md"]))
        else:
            number = draw(st.sampled_from(numbers)) if kind == "duplicate" and numbers else draw(st.integers(0, 9999))
            width = draw(st.integers(len(str(number)), 4))
            separator = draw(st.sampled_from(["-"] * 5 + ["_", ".", " "]))
            name = f"{number:0{width}d}{separator}{draw(slugs)}.md"
        if name.lower() in names:
            continue
        names.add(name.lower())
        chapters.append(Chapter(name, number))
    return chapters


@st.composite
def headings(draw) -> list[tuple[int, str, str | None, str]]:
    """(level, text, explicit id or None, the id it gets)."""
    found = []
    for _ in range(draw(st.integers(0, 3))):
        text = draw(words(SAFE_WORDS, max_size=3))
        explicit = draw(st.one_of(st.none(), ids))
        found.append((draw(st.integers(1, 3)), text, explicit, explicit or "-".join(text.split())))
    return found


@st.composite
def reference(draw, chapters: list[Chapter], me: Chapter, clean: bool) -> str:
    """One cross-reference in a contract form, to something that may or may not exist."""
    if clean:
        return draw(good_reference(chapters, me))
    if chapters and draw(st.integers(0, 3)):
        target = draw(st.sampled_from(chapters))
    else:
        target = Chapter(f"{draw(st.integers(0, 9999)):03d}-{draw(slugs)}.md", None)
    number = target.number if target.number is not None else draw(st.integers(0, 9999))
    shown_number = f"{number:0{draw(st.integers(len(str(number)), 4))}d}"
    ident = draw(st.sampled_from(target.ids)) if target.ids and draw(st.integers(0, 3)) else draw(ids)
    own_id = draw(st.sampled_from(me.ids)) if me.ids and draw(st.integers(0, 3)) else draw(ids)
    text = draw(st.sampled_from(["text", "see *this*", "the `code`", "x", "Über", "**bold** ref"]))
    file = target.name if draw(st.integers(0, 3)) else f"{shown_number}-{draw(slugs)}.md"
    form = draw(st.sampled_from([
        "[[{n}]]", "[[{n}#{id}]]", "[[{n}|{t}]]", "[[{n}#{id}|{t}]]", "[[#{own}]]", "[[{n}|]]",
        "[{t}]({f})", "[{t}]({f}#{id})", "[]({f})", "[]({f}#{id})", "[{t}](#{own})", "[](#{own})",
        "[{t}](<{f}>)", "[{t}](./{f})", "[{t}](../manuscript/{f})",
        "[{t}](https://example.com/{id})", "<https://example.com/{id}>", "[mail](mailto:a@example.com)",
        "[{t}](ftp://example.com/x)", "[{t}](javascript:alert(1))", "[{t}](notes.txt)", "[{t}][ref]\n\n[ref]: {f}",
    ]))
    return form.format(n=shown_number, id=ident, own=own_id, t=text, f=file)


@st.composite
def good_reference(draw, chapters: list[Chapter], me: Chapter) -> str:
    """A reference that resolves (the book's chapters all have numbers in clean mode)."""
    text = draw(st.sampled_from(["text", "see *this*", "the `code`", "Über"]))
    forms = ["[{t}](https://example.com/x)", "<https://example.com/y>", "[mail](mailto:a@example.com)"]
    if me.ids:
        forms += ["[{t}](#{own})", "[](#{own})", "[[#{own}]]"]
    numbered = [c for c in chapters if c.number is not None]
    if numbered:
        forms += ["[[{n}]]", "[[{n}|{t}]]", "[{t}]({f})", "[]({f})", "[{t}](<{f}>)", "[{t}]({other})"]
    target = draw(st.sampled_from(numbered)) if numbered else me
    if numbered and target.ids:
        forms += ["[[{n}#{id}]]", "[[{n}#{id}|{t}]]", "[{t}]({f}#{id})", "[]({f}#{id})"]
    return draw(st.sampled_from(forms)).format(
        t=text, n=target.number, f=target.name, other=f"{target.number:04d}-another-name.md",
        id=draw(st.sampled_from(target.ids)) if target.ids else "",
        own=draw(st.sampled_from(me.ids)) if me.ids else "",
    )


@st.composite
def image(draw, clean: bool) -> str:
    src = draw(st.sampled_from(list(IMAGES) if clean else list(IMAGES) * 3 + MISSING_IMAGES + REMOTE_IMAGES))
    alt = draw(st.sampled_from(["a leaf", "", "pot *with* soil", "日本"]))
    return draw(st.sampled_from(["![{a}]({s})", '![{a}]({s} "a title")', "![{a}](<{s}>)"])).format(a=alt, s=src)


@st.composite
def inline(draw, chapters: list[Chapter], me: Chapter, notes: list[str], clean: bool) -> str:
    pieces = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["words"] * 3 + ["em", "strong", "code", "note", "ref", "ref", "image", "html"]))
        if kind == "words":
            pieces.append(draw(words()))
        elif kind == "em":
            pieces.append(f"*{draw(words(SAFE_WORDS))}*")
        elif kind == "strong":
            pieces.append(f"**{draw(words(SAFE_WORDS))}**")
        elif kind == "code":
            pieces.append(draw(st.sampled_from(["`[[9999]]`", "`![x](nope.png)`", "`<script>`", "``a ` b``", "`x`"])))
        elif kind == "note":
            label = draw(st.sampled_from(["1", "2", "n", "long-note"]))
            pieces.append(f"[^{label}]")
            if draw(st.integers(0, 4)):
                notes.append(f"[^{label}]: {draw(words())} {draw(reference(chapters, me, clean)) if draw(st.booleans()) else ''}")
        elif kind == "ref":
            pieces.append(draw(reference(chapters, me, clean)))
        elif kind == "image":
            pieces.append(draw(image(clean)))
        else:
            pieces.append(draw(st.sampled_from([h for h in RAW_INLINE if not (clean and "<img" in h and "leaf" not in h)])))
    return " ".join(pieces)


@st.composite
def body(draw, chapters: list[Chapter], me: Chapter, heads: list[tuple[int, str, str | None, str]], clean: bool) -> str:
    notes: list[str] = []
    blocks = []
    pending = list(heads)
    for _ in range(draw(st.integers(0, 6)) + len(pending)):
        kind = draw(st.sampled_from(["heading"] * 2 + ["para"] * 4 + ["list", "olist", "code", "html", "figure", "quote",
                                                                   "image heading"]))
        if kind == "heading" or (pending and not draw(st.integers(0, 2))):
            if not pending:
                continue
            level, text, explicit, _ = pending.pop(0)
            blocks.append("#" * level + " " + text + (f" {{#{explicit}}}" if explicit else ""))
        elif kind == "para":
            blocks.append(draw(inline(chapters, me, notes, clean)))
        elif kind in ("list", "olist"):
            marker = "-" if kind == "list" else "1."
            items = draw(st.lists(inline(chapters, me, notes, clean), min_size=1, max_size=3))
            blocks.append("\n".join(f"{marker} {item}" for item in items))
        elif kind == "code":
            blocks.append(draw(st.sampled_from(["```\n[[9999]] ![x](gone.png) <script>x</script>\n```",
                                                "```python\nprint('[](404-none.md)')\n```", "    indented [[8888]]"])))
        elif kind == "html":
            blocks.append(draw(st.sampled_from(RAW_BLOCKS)))
        elif kind == "figure":
            blocks.append(draw(image(clean)))
        elif kind == "image heading":  # named by its alt text; refused without one, as is a heading with no words
            blocks.append("#" * draw(st.integers(1, 3)) + " " + (draw(image(clean)) if clean or draw(st.integers(0, 3)) else ""))
        else:
            blocks.append("> " + draw(inline(chapters, me, notes, clean)))
    for level, text, explicit, _ in pending:
        blocks.append("#" * level + " " + text + (f" {{#{explicit}}}" if explicit else ""))
    return "\n\n".join(blocks + notes) + "\n"


@st.composite
def front_matter(draw, title: str, clean: bool) -> tuple[str, str]:
    """(the text before the body, its kind)."""
    fine = ["good"] * 6 + ["draft", "unknown-key", "contents", "image", "typed"]
    broken = ["missing", "unterminated", "list", "no-title", "bad-yaml", "bad-image", "blank-title", "bad-draft",
              "bad-date", "nested"]
    kind = draw(st.sampled_from(fine if clean else fine + broken))
    head = f"title: {_yaml_string(title)}\n"
    text = {
        "good": head + (f"subtitle: {_yaml_string(title.upper())}\n" if draw(st.booleans()) else ""),
        "missing": None,
        "unterminated": head,
        "list": "- title\n- one\n",
        "no-title": "subtitle: only a subtitle\n",
        "draft": head + "draft: true\n",
        "bad-yaml": "title: one: two\n",
        "unknown-key": head + "colour: green\n",
        "contents": head + "contents: true\n",
        "image": head + "image: images/leaf.png\n" + draw(st.sampled_from(["", "image_alt: a leaf\n",
                                                                            "image_alt: a leaf\nimage_credit: Me\n"])),
        "bad-image": head + f"image: {draw(st.sampled_from(MISSING_IMAGES + REMOTE_IMAGES))}\nimage_alt: x\n",
        "blank-title": 'title: ""\n',
        "bad-draft": head + "draft: maybe\n",
        "typed": draw(st.sampled_from(["title: 1984\n", "title: 2024-02-28\nsubtitle: 3.5\n", head + "subtitle: null\n"])),
        "bad-date": head + "subtitle: 2024-02-30\n",  # looks like a YAML date, is not one
        "nested": head + "subtitle: {a: 1}\nimage_alt: [x]\n",
    }[kind]
    if text is None:
        return "", kind
    if kind == "unterminated":
        return "---\n" + text + "\n", kind
    return "---\n" + text + "---\n\n", kind


@st.composite
def books(draw) -> dict[str, bytes | None]:
    """A book folder as {relative path: content}; None means 'do not write'."""
    files: dict[str, bytes | None] = {"metadata.yaml": None}
    clean = draw(st.booleans())  # a book meant to pass check (it still may not: that is the author's risk)
    meta = draw(metadata_yaml(clean))
    if meta is not None:
        files["metadata.yaml"] = meta.encode("utf-8")
    chapters = draw(chapter_files(clean))
    heads = {}
    for chapter in chapters:
        heads[chapter.name] = draw(headings())
        chapter.ids = [h[3] for h in heads[chapter.name]]
    for chapter in chapters:
        head, _ = draw(front_matter(draw(words(SAFE_WORDS + ["Café", "&", "“Q”"], max_size=4)), clean))
        files[f"manuscript/{chapter.name}"] = (head + draw(body(chapters, chapter, heads[chapter.name], clean))).encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        me = Chapter("front/01-preface.md", None)
        head, _ = draw(front_matter("Preface", clean))
        files["manuscript/front/01-preface.md"] = (head + draw(body(chapters, me, [], clean))).encode("utf-8")
    if clean or draw(st.integers(0, 3)):
        for path, make in IMAGES.items():
            if clean or draw(st.integers(0, 5)):
                files[f"manuscript/{path}"] = make()
    if draw(st.integers(0, 5)) == 0:
        files["styles/book.css"] = b"p { text-indent: 1em; }\nh2 { color: #264; }\n"
    return files


def write_book(root: Path, files: dict[str, bytes | None]) -> None:
    for relative, data in files.items():
        if data is None:
            continue
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "manuscript").mkdir(exist_ok=True)


def describe(files: dict[str, bytes | None]) -> str:
    """The book's text files, for failure messages."""
    shown = []
    for relative, data in sorted(files.items()):
        if data is None or relative.endswith((".png", ".jpg")):
            continue
        shown.append(f"--- {relative}\n{data.decode('utf-8', 'replace')}")
    return "\n".join(shown)


# --- books this fuzzer once found bugs with: always tried ------------------------------------


def seed_book(body: str, front: str = "", meta: str = "") -> dict[str, bytes | None]:
    return {
        "metadata.yaml": f"title: Seed\nauthor: A\nlanguage: en\n{meta}".encode(),
        "manuscript/001-one.md": f"---\ntitle: One\n{front}---\n\n{body}\n".encode(),
        "manuscript/002-two.md": b"---\ntitle: Two\n---\n\n## End {#end}\n\nSee [[1]].\n",
    }


SEEDS = {
    "impossible-date-in-metadata": seed_book("Text.", meta="date: 2024-13-45\n"),  # YAML cannot construct it
    "impossible-date-in-front-matter": seed_book("Text.", front="subtitle: 2024-02-30\n"),
    "raw-html-and-footnotes-for-the-epub": seed_book("\n\n".join([  # raw HTML and footnotes that must still give a valid EPUB
        "A note.[^1] See [[2#end]].",
        "[^1]: * a footnote that is a list",
        "Some <b> bold, never closed",
        "## Next",
        "<style>p { color: red; }</style>",
        '<svg width="20" height="20"><rect width="20" height="20" fill="green"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><circle cx="10" cy="10" r="9"/></svg>',
    ])),
}


# --- known errors planted in a book that `check` accepts ----------------------------------

CHAPTER_FILE = re.compile(r"^manuscript/(\d{1,4})[-_. ][^/]*\.md$")


@dataclass(frozen=True)
class Planted:
    files: dict[str, bytes | None]  # the book with the error in it
    prefix: str  # the one error line starts with this: ``path:line:col: error: ``
    message: str  # and holds this
    kind: str


def _chapters(files: dict[str, bytes | None]) -> dict[str, tuple[int | None, bool]]:
    """Every Markdown file of the book: (its chapter number or None, whether it is a draft)."""
    found = {}
    for path, data in files.items():
        if data is not None and path.startswith("manuscript/") and path.endswith(".md"):
            match = CHAPTER_FILE.match(path)
            head = data.decode("utf-8", "replace").split("\n---", 1)[0]
            found[path] = (int(match.group(1)) if match else None, "\ndraft: true" in head)
    return found


KINDS = ("missing chapter", "missing chapter file", "missing section", "missing own section", "missing image",
         "remote image", "bad front matter", "duplicate number")


def planted_error(files: dict[str, bytes | None], kind: str) -> Planted:
    """One known error of ``kind``, written at a known place of a book that `check` accepts
    (in a file that is not a draft: a draft left out is not read). The place and the
    numbers are chosen from the book itself, so the same book always gets the same error."""
    rng = random.Random(hashlib.sha256(repr(sorted(files.items())).encode()).digest())
    parts = _chapters(files)
    numbers = {number for number, _ in parts.values() if number is not None}
    published = sorted(path for path, (_, draft) in parts.items() if not draft)
    path = rng.choice(published)
    own, _ = parts[path]
    text = files[path].decode("utf-8")
    folder = path.rsplit("/", 1)[0]
    if kind == "bad front matter":  # line 2 of every clean file is its `title:`
        lines = text.split("\n")
        assert lines[1].startswith("title:"), text
        lines[1] = "title: one: two"  # the second colon, column 11, is not YAML
        return Planted({**files, path: "\n".join(lines).encode()}, f"{path}:2:11: error: ",
                       "invalid YAML: mapping values are not allowed here", kind)
    if kind == "duplicate number":
        number = rng.choice(sorted(numbers))
        first = next(p for p, (n, _) in sorted(parts.items()) if n == number)
        twin = f"manuscript/{number}_~twin.md"  # sorts after every file of that number: the one reported
        return Planted({**files, twin: b"---\ntitle: Twin\n---\n\nA second chapter with the number.\n"},
                       f"{twin}:1:1: error: ", f"chapter number {number} is used twice: {first} and {twin}", kind)
    if kind == "missing chapter":
        missing = rng.choice([n for n in range(1, 10000) if n not in numbers])
        line, col, message = f"See [[{missing}]].", 5, f"no chapter {missing} (referenced as [[{missing}]])"
    elif kind == "missing chapter file":
        missing = rng.choice([n for n in range(1, 10000) if n not in numbers])
        name = f"{'../' if folder != 'manuscript' else ''}{missing:04d}-gone.md"
        line, col, message = f"See [the other]({name}).", 5, f"no chapter {missing} (referenced as ({name}))"
    elif kind == "missing section":
        target = rng.choice(sorted(n for p, (n, draft) in parts.items() if n is not None and not draft))
        where = "this file" if target == own else f"chapter {target}"
        line, col = f"See [[{target}#planted-nowhere]].", 5
        message = f"no section `#planted-nowhere` in {where} (referenced as [[{target}#planted-nowhere]])"
    elif kind == "missing own section":
        line, col = "See [this](#planted-nowhere).", 5
        message = "no section `#planted-nowhere` in this file (referenced as (#planted-nowhere))"
    elif kind == "missing image":
        line, col = "![a planted picture](images/planted-missing.png)", 1
        message = f"no image file `{folder}/images/planted-missing.png` (referenced as `images/planted-missing.png`)"
    else:
        line, col = "![a planted picture](https://example.com/planted.png)", 1
        message = "remote image `https://example.com/planted.png` is not fetched"
    planted = text.rstrip("\n") + "\n\n" + line + "\n"
    return Planted({**files, path: planted.encode()}, f"{path}:{len(planted.splitlines())}:{col}: error: ", message, kind)


def assert_refused_with_exactly(process, planted: Planted) -> None:
    context = f"\nexit {process.returncode}\nstdout:\n{process.stdout}\nstderr:\n{process.stderr}\nbook:\n{describe(planted.files)}"
    errors = [line for line in process.stderr.splitlines() if ": error: " in line]
    assert process.returncode == 1, f"the planted error was not refused: {planted.prefix}{planted.message}" + context
    assert len(errors) == 1, f"expected one error, {planted.prefix}{planted.message}" + context
    assert errors[0].startswith(planted.prefix) and planted.message in errors[0], \
        f"expected {planted.prefix}...{planted.message}" + context


# --- the test --------------------------------------------------------------------------


def assert_answers_like_the_contract(process, files) -> None:
    output = process.stdout + process.stderr
    context = f"\nexit {process.returncode}\nstdout:\n{process.stdout}\nstderr:\n{process.stderr}\nbook:\n{describe(files)}"
    assert process.returncode in (0, 1), "exit code must be 0 or 1" + context
    assert "Traceback" not in output, context
    assert "internal error" not in output, context
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    if process.returncode == 1:
        assert lines and SUMMARY_LINE.match(lines[-1]), "the last line must say how many errors" + context
        problems = lines[:-1]
        bad = [line for line in problems if not PROBLEM_LINE.match(line)]
        assert not bad, f"lines that are not `path:line:col: error|warning: message`: {bad}" + context
        errors = [line for line in problems if PROBLEM_LINE.match(line).group(1) == "error"]
        assert errors, "exit 1 without an error line" + context
        assert int(SUMMARY_LINE.match(lines[-1]).group(1)) == len(errors), "the summary miscounts the errors" + context
    else:
        bad = [line for line in lines if not PROBLEM_LINE.match(line) or ": error: " in line]
        assert not bad, "a book that passes check may only print warnings, as path:line:col" + context
        assert "no errors" in process.stdout, context


def assert_builds_an_epub(book: Path, files, epubcheck_it: bool = True) -> None:
    out = book / "dist"
    process = run_build("--book", book, "--formats", "epub", "--out", out)
    context = f"\nexit {process.returncode}\nstdout:\n{process.stdout}\nstderr:\n{process.stderr}\nbook:\n{describe(files)}"
    assert process.returncode == 0, "check passed, so the build must succeed" + context
    assert "Traceback" not in process.stdout + process.stderr, context
    epubs = sorted(out.glob("*.epub"))
    assert len(epubs) == 1, f"expected one EPUB in {sorted(p.name for p in out.iterdir())}" + context
    if epubcheck_it:
        fatal, errors, warnings, messages = epubcheck_summary(epubcheck(epubs[0]))
        assert (fatal, errors, warnings) == (0, 0, 0), "EPUBCheck: " + "\n".join(messages) + context


def assert_builds_all_editions_or_fails_only_in_layout(book: Path, files, checked) -> None:
    """Every edition is built; or the build fails, and then only with what `check` said it
    leaves to a build (the PDFs' preflight)."""
    process = run_build("--book", book, "--out", book / "all")
    context = f"\nexit {process.returncode}\nstdout:\n{process.stdout}\nstderr:\n{process.stderr}\nbook:\n{describe(files)}"
    assert process.returncode in (0, 1) and "Traceback" not in process.stderr, context
    if process.returncode == 1:
        errors = [line for line in process.stderr.splitlines() if ": error: " in line]
        assert errors and all(LAYOUT_ERROR.match(line) for line in errors), \
            "check passed, and the build failed on something check could have found" + context
        assert LAYOUT_ONLY in checked.stdout, context


# Shrinking is off by default: a failing build takes seconds per attempt, and the run must stay
# short. A failure prints the whole book; set BOOKBUILD_FUZZ_SHRINK=1 to have Hypothesis shrink it.
PHASES = tuple(Phase) if os.environ.get("BOOKBUILD_FUZZ_SHRINK") else (Phase.explicit, Phase.reuse, Phase.generate)


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          database=None, phases=PHASES, print_blob=True)
@given(books())
def _check_random_book(files: dict[str, bytes | None]) -> None:
    global _BUILD_FAILED
    STATS["examples"] += 1
    with tempfile.TemporaryDirectory(prefix="fuzzbook-") as temp:
        book = Path(temp) / "book"
        book.mkdir()
        write_book(book, files)
        process = run_build("check", "--book", book)
        assert_answers_like_the_contract(process, files)
        if process.returncode != 0:
            STATS["failed_check"] += 1
            return
        STATS["passed_check"] += 1
        assert LAYOUT_ONLY in process.stdout  # check says what it leaves to a build
        try:
            if STATS["built"] < EPUB_BUILDS or _BUILD_FAILED:
                assert_builds_an_epub(book, files)
                STATS["built"] += 1
            else:  # the build still runs the EPUB's own preflight
                assert_builds_an_epub(book, files, epubcheck_it=False)
                STATS["epub_only"] += 1
            if STATS["laid_out"] < LAYOUT_BUILDS:
                assert_builds_all_editions_or_fails_only_in_layout(book, files, process)
                STATS["laid_out"] += 1
        except BaseException:
            _BUILD_FAILED = True
            raise
        kind = KINDS[STATS["planted"] % len(KINDS)]  # each kind in turn
        planted = planted_error(files, kind)
        broken = Path(temp) / "broken"
        broken.mkdir()
        write_book(broken, planted.files)
        assert_refused_with_exactly(run_build("check", "--book", broken), planted)
        STATS["planted"] += 1
        PLANTED[planted.kind] = PLANTED.get(planted.kind, 0) + 1


@pytest.fixture
def books_drawn_from_the_seed_alone(monkeypatch):
    """Hypothesis (6.1xx) also draws constants it finds in every local module loaded in the
    process: the toolchain's, and those other tests happened to import first. The books
    would change with the tests run before and with every edit of the code; only the
    seed is to decide them."""
    from hypothesis.internal.conjecture import providers

    monkeypatch.setattr(providers, "_get_local_constants", lambda: providers.Constants())
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()


def test_check_answers_any_book_like_the_contract(books_drawn_from_the_seed_alone):
    try:
        _check_random_book()
    finally:
        print(f"\nfuzz (seed {SEED}): {STATS['examples']} random examples ran ({STATS['passed_check']} passed check, "
              f"{STATS['failed_check']} failed it), {STATS['built']} built as EPUB and passed EPUBCheck, "
              f"{STATS['epub_only']} more built as EPUB, {STATS['laid_out']} built in all three editions, "
              f"{STATS['planted']} refused with the error planted in them ({', '.join(f'{n} {k}' for k, n in sorted(PLANTED.items()))})")
    assert STATS["laid_out"] == min(LAYOUT_BUILDS, STATS["passed_check"])
    assert STATS["built"] + STATS["epub_only"] == STATS["passed_check"]  # every book check accepts is built
    assert STATS["planted"] >= min(10, EXAMPLES // 4)  # the generated books are not all refused,
    assert STATS["failed_check"] >= min(5, EXAMPLES // 8)  # nor all accepted


@pytest.mark.parametrize("name", SEEDS)
def test_seed_book(name):
    """The same contract for each seed book; one that passes `check` must build a clean EPUB."""
    files = SEEDS[name]
    with tempfile.TemporaryDirectory(prefix="seedbook-") as temp:
        book = Path(temp) / "book"
        book.mkdir()
        write_book(book, files)
        process = run_build("check", "--book", book)
        assert_answers_like_the_contract(process, files)
        if process.returncode == 0:
            assert_builds_an_epub(book, files)
            assert_builds_all_editions_or_fails_only_in_layout(book, files, process)
