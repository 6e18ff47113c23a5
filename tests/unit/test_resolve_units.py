"""bookbuild.resolve in-process, on parts made by hand as the parser makes them: where every
kind of link lands and what an empty one says, each broken reference reported word for word
at its place, ids namespaced, images checked, the parts in book order."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html
from PIL import Image as PillowImage

from bookbuild.model import (
    Book, BookError, Heading, ImageRef, LinkRef, Metadata, ParsedPart, PartKind, Problem, Severity, SourceFile, TocEntry,
)
from bookbuild.resolve import resolve

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script><rect width="2" height="2"/></svg>'


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "manuscript" / "images").mkdir(parents=True)
    PillowImage.new("RGB", (2, 2)).save(tmp_path / "manuscript" / "images" / "a.png")
    (tmp_path / "manuscript" / "images" / "s.svg").write_bytes(SVG)
    (tmp_path / "metadata.yaml").write_text("title: T\nauthor: A\nlanguage: en\ncover: manuscript/images/a.png\n")
    return tmp_path


def source(path: str, kind: PartKind, part_id: str, number: int | None, title: str, **extra) -> SourceFile:
    return SourceFile(path, kind, part_id, number, title, "body", 4, **extra)


def link(index: int, target: str, wikilink: bool = False, has_text: bool = True, line: int = 10) -> LinkRef:
    return LinkRef(index, target, wikilink, has_text, line, index + 1)


def chapter_one(links: list[LinkRef], html: str | None = None, images: tuple[ImageRef, ...] = (), **extra) -> ParsedPart:
    """Chapter 1: a link for each of ``links`` (with text when it has any), sections #start
    (level 2) and #deep (level 3)."""
    anchors = "".join(f'<a data-ref="{l.index}" title="t">{"text " + str(l.index) if l.has_text else ""}</a> '
                      for l in links)
    body = html if html is not None else (f'<h2 id="start">Start here</h2><h3 id="deep">Deep</h3><p>{anchors}'
                                          f'<a class="footnote-ref" href="#fn1">1</a></p>'
                                          f'<ol><li id="fn1"><a class="footnote-back" href="#fnref1">back</a></li></ol>')
    return ParsedPart(source("manuscript/001-first.md", PartKind.CHAPTER, "c001", 1, "First", **extra), body,
                      (Heading(2, "start", "Start here"), Heading(3, "deep", "Deep")),
                      frozenset({"start", "deep", "fn1", "fnref1"}), tuple(links), images)


def others(**seventh) -> list[ParsedPart]:
    return [
        ParsedPart(source("manuscript/front/preface.md", PartKind.FRONT, "front-preface", None, "Preface"),
                   "<p>Before.</p>", (), frozenset({"why"}), (), ()),
        ParsedPart(source("manuscript/07-seventh.md", PartKind.CHAPTER, "c007", 7, "Seventh", **seventh),
                   '<h2 id="final-thoughts">Final thoughts</h2>', (Heading(2, "final-thoughts", "Final thoughts"),),
                   frozenset({"final-thoughts"}), (), ()),
        ParsedPart(source("manuscript/back/about.md", PartKind.BACK, "back-about", None, "About"),
                   "<p>After.</p>", (), frozenset(), (), ()),
    ]


def book(root: Path, parts: list[ParsedPart], cover: str = "", problems=()) -> Book:
    metadata = Metadata("T", ("A",), "en", cover=cover)
    return Book(root, metadata, tuple(p.source for p in parts), frozenset({50}), False, tuple(problems))


def resolved_links(root, links, **extra):
    parts = [chapter_one(links, **extra)] + others()
    done = resolve(book(root, parts), parts)
    first = next(p for p in done.parts if p.part_id == "c001")
    tree = lxml_html.fragment_fromstring(first.html, create_parent="div")
    return done, first, tree


def anchor_with(tree, text_or_index) -> lxml_html.HtmlElement:
    return next(a for a in tree.iter("a", "span") if a.get("data-n") == str(text_or_index))


def errors_of(root, links) -> list[str]:
    parts = [chapter_one(links)] + others()
    with pytest.raises(BookError) as caught:
        resolve(book(root, parts), parts)
    return [str(problem) for problem in caught.value.problems]


def elements(tree) -> list[tuple[str, str | None, str | None, str]]:
    """Each link of the chapter's paragraph as (tag, href, class, text), in order."""
    paragraph = tree.find(".//p")
    return [(child.tag, child.get("href"), child.get("class"), child.text_content()) for child in paragraph]


def test_every_kind_of_chapter_reference_lands_on_its_anchor(root):
    links = [
        link(0, "07-seventh.md"),
        link(1, "07-seventh.md#final-thoughts", has_text=False),
        link(2, "7", wikilink=True, has_text=False),
        link(3, "7#final-thoughts", wikilink=True),
        link(4, "#start", wikilink=True, has_text=False),
        link(5, "#deep", has_text=False),
        link(6, "007-old-slug.md", has_text=False),  # renamed since: matched by number
        link(7, "front/preface.md", has_text=False),
        link(8, "back/about.md#", has_text=False),
        link(9, " 7#final-thoughts", wikilink=True, has_text=False),
        link(10, "07-seventh.md#final%2Dthoughts", has_text=False),
        link(11, "./../manuscript/07-seventh.md", has_text=False),
        link(12, "https://example.com/a", has_text=False),
        link(13, "MAILTO:ada@example.com", has_text=False),
        link(14, "mailto:ada@example.com", has_text=False),
        link(15, "https://example.com/b"),
    ]
    done, first, tree = resolved_links(root, links)
    assert elements(tree) == [
        ("a", "#c007", "xref", "text 0"),
        ("a", "#c007-final-thoughts", "xref", "7. Seventh: Final thoughts"),
        ("a", "#c007", "xref", "7. Seventh"),
        ("a", "#c007-final-thoughts", "xref", "text 3"),
        ("a", "#c001-start", "xref", "Start here"),  # within the part: the heading alone
        ("a", "#c001-deep", "xref", "Deep"),
        ("a", "#c007", "xref", "7. Seventh"),
        ("a", "#front-preface", "xref", "Preface"),
        ("a", "#back-about", "xref", "About"),
        ("a", "#c007-final-thoughts", "xref", "7. Seventh: Final thoughts"),
        ("a", "#c007-final-thoughts", "xref", "7. Seventh: Final thoughts"),
        ("a", "#c007", "xref", "7. Seventh"),
        ("a", None, "external", "https://example.com/a"),
        ("a", None, "external", "MAILTO:ada@example.com"),
        ("a", None, "external", "ada@example.com"),
        ("a", None, "external", "text 15"),
        ("a", "#c001-fn1", "footnote-ref", "1"),
    ]
    resolved = [a for a in tree.iter("a") if a.get("class") == "xref"]
    assert all(a.get("title") is None and a.get("data-ref") is None for a in resolved)
    assert tree.find(".//a[@class='footnote-back']").get("href") == "#c001-fnref1"
    assert done.problems == ()


def test_a_reference_to_a_left_out_draft_is_plain_text_and_a_warning(root):
    links = [link(0, "050-draft.md"), link(1, "50", wikilink=True, has_text=False), link(2, "050-draft.md#x", has_text=False)]
    done, _, tree = resolved_links(root, links)
    assert elements(tree)[:3] == [("span", None, None, "text 0"), ("span", None, None, "chapter 50"),
                                  ("span", None, None, "chapter 50")]
    assert all(not span.attrib for span in tree.iter("span") if span.text_content().startswith(("text", "chapter")))
    message = "chapter 50 is a draft left out of this build: the link is shown as plain text (build with --drafts to include it)"
    assert [str(p) for p in done.problems] == [f"manuscript/001-first.md:10:{n}: warning: {message}" for n in (1, 2, 3)]


def test_strict_makes_warnings_errors(root):
    parts = [chapter_one([link(0, "050-draft.md")])] + others()
    with pytest.raises(BookError) as caught:
        resolve(book(root, parts), parts, strict=True)
    assert [p.severity for p in caught.value.problems] == [Severity.ERROR]


@pytest.mark.parametrize("target, wikilink, message", [
    ("javascript:alert(1)", False, "link to `javascript:alert(1)` is not allowed: links may go to chapters or to http, "
                                   "https and mailto addresses"),
    ("file:///etc/passwd", False, "link to `file:///etc/passwd` is not allowed"),
    ("notes.txt", False, "link to `notes.txt` is neither a chapter nor a web address: link to a chapter's .md file, or "
                         "use a full https:// URL"),
    ("missing.md", False, "no file `manuscript/missing.md` in the book (referenced as (missing.md))"),
    ("front/prefac.md", False, "no file `manuscript/front/prefac.md` in the book (referenced as (front/prefac.md)) "
                               "(did you mean `manuscript/front/preface.md`?)"),
    ("front/99-x.md", False, "no file `manuscript/front/99-x.md` in the book"),
    ("../99-x.md", False, "no file `99-x.md` in the book"),
    ("99", True, "no chapter 99 (referenced as [[99]])"),
    ("099-ninety-nine.md", False, "no chapter 99 (referenced as (099-ninety-nine.md))"),
    ("seven", True, "[[seven]] is not a chapter reference: write [[N]], [[N#section-id]] or [[N|text]]"),
    ("", True, "[[]] is not a chapter reference"),
    ("#", True, "[[#]] is not a chapter reference"),
    ("07-seventh.md#final-thougts", False, "no section `#final-thougts` in chapter 7 (referenced as "
                                           "(07-seventh.md#final-thougts)) (did you mean `#final-thoughts`?)"),
    ("7#zzz", True, "no section `#zzz` in chapter 7 (referenced as [[7#zzz]])"),
    ("#nowhere", False, "no section `#nowhere` in this file (referenced as (#nowhere))"),
    ("#nowhere", True, "no section `#nowhere` in this file (referenced as [[#nowhere]])"),
    ("front/preface.md#wy", False, "no section `#wy` in manuscript/front/preface.md (referenced as (front/preface.md#wy)) "
                                   "(did you mean `#why`?)"),
])
def test_a_broken_reference_is_an_error_at_its_place(root, target, wikilink, message):
    errors = errors_of(root, [link(0, "07-seventh.md"), link(1, target, wikilink=wikilink, line=12)])
    assert len(errors) == 1
    assert errors[0].startswith(f"manuscript/001-first.md:12:2: error: {message}"), errors


def test_every_problem_of_the_book_is_raised_together_in_order(root):
    earlier = Problem("metadata.yaml", 1, 1, Severity.WARNING, "from gathering")
    parts = [chapter_one([link(1, "99", wikilink=True, line=20), link(0, "98", wikilink=True, line=3)])] + others()
    parts[1] = ParsedPart(parts[1].source, parts[1].html, (), frozenset(), (), (),
                          (Problem("manuscript/front/preface.md", 2, 2, Severity.WARNING, "from parsing"),))
    with pytest.raises(BookError) as caught:
        resolve(book(root, parts, problems=[earlier]), parts)
    assert [str(p) for p in caught.value.problems] == [
        "manuscript/001-first.md:3:1: error: no chapter 98 (referenced as [[98]])",
        "manuscript/001-first.md:20:2: error: no chapter 99 (referenced as [[99]])",
        "manuscript/front/preface.md:2:2: warning: from parsing",
        "metadata.yaml:1:1: warning: from gathering",
    ]


def test_ids_are_namespaced_and_sections_make_the_contents(root):
    done, first, tree = resolved_links(root, [])
    assert {e.get("id") for e in tree.iter() if e.get("id")} >= {"c001", "c001-start", "c001-deep", "c001-fn1"}
    assert first.toc == (TocEntry("c001", "1. First", 1), TocEntry("c001-start", "Start here", 2))
    assert first.anchors == frozenset({"c001", "c001-start", "c001-deep", "c001-fn1", "c001-fnref1"})
    assert first.title == "1. First" and first.kind is PartKind.CHAPTER and first.epub_type == "chapter"


def test_the_book_is_in_order_with_its_images_and_credits(root):
    parts = [chapter_one([])] + others(image="images/a.png", image_alt="An <alt>", image_credit="Photo & co", image_line=5)
    parts[3:3] = [ParsedPart(source("manuscript/09-ninth.md", PartKind.CHAPTER, "c009", 9, "Ninth", image="images/s.svg"),
                             "", (), frozenset(), (), ())]
    done = resolve(book(root, parts, cover="manuscript/images/a.png"), parts)
    assert [p.part_id for p in done.parts] == ["front-title-page", "front-copyright", "front-preface", "c001", "c007",
                                               "c009", "back-about", "back-image-credits"]  # chapters as given
    assert [(i.path, i.media_type) for i in done.images] == [("manuscript/images/a.png", "image/png"),
                                                             ("manuscript/images/s.svg", "image/svg+xml")]
    seventh = next(p for p in done.parts if p.part_id == "c007")
    assert ('<figure class="opening-image"><img src="manuscript/images/a.png" alt="An &lt;alt&gt;"/></figure>'
            in seventh.html)
    credits = done.parts[-1].html
    assert "7. Seventh</span>: Photo &amp; co" in credits and "Ninth" not in credits  # no credit given for it
    assert [str(p) for p in done.problems] == [
        "manuscript/09-ninth.md:1:1: warning: `images/s.svg`: <script> removed: books cannot run scripts"]
    assert done.root == root and done.metadata.title == "T" and done.draft is False


def test_no_credits_page_without_credits(root):
    parts = [chapter_one([])] + others(image="images/a.png", image_alt="A")
    done = resolve(book(root, parts), parts)
    assert done.parts[-1].part_id == "back-about"


def test_a_refused_opening_image_is_an_error_at_its_line(root):
    parts = [chapter_one([])] + others(image="https://example.com/a.png", image_line=6)
    with pytest.raises(BookError) as caught:
        resolve(book(root, parts), parts)
    assert [str(p) for p in caught.value.problems] == [
        "manuscript/07-seventh.md:6:1: error: remote image `https://example.com/a.png` is not fetched: download it into "
        "the book folder (e.g. manuscript/images/) and use its relative path"]


def test_images_in_the_text_are_checked_and_pointed_at_the_book_copy(root):
    images = (ImageRef(0, "images/a.png", "", 7, 3), ImageRef(1, "images/s.svg", "A drawing", 8, 4))
    html = '<p><img data-img="0" src="images/a.png"><img data-img="1" src="images/s.svg"><img src="stray.png"></p>'
    parts = [chapter_one([], html=html, images=images)] + others()
    done = resolve(book(root, parts), parts)
    tree = lxml_html.fragment_fromstring(done.parts[3].html, create_parent="div")
    assert [(img.get("src"), img.get("data-img")) for img in tree.iter("img")] == [
        ("manuscript/images/a.png", None), ("manuscript/images/s.svg", None), ("stray.png", None)]
    assert next(tree.iter("img")).get("alt") == ""  # no alt text: decorative, said so in the EPUB too
    assert [str(p) for p in done.problems] == [
        "manuscript/001-first.md:7:3: warning: no alt text: shown as decorative; describe it if it carries meaning",
        "manuscript/001-first.md:8:4: warning: `images/s.svg`: <script> removed: books cannot run scripts"]
    assert [i.path for i in done.images] == ["manuscript/images/a.png", "manuscript/images/s.svg"]


def test_a_refused_image_in_the_text_is_an_error_and_loses_its_src(root):
    (root / "manuscript" / "images" / "bad.svg").write_text("<svg><rect>")
    images = (ImageRef(0, "/etc/a.png", "x", 7, 3), ImageRef(1, "images/bad.svg", "x", 9, 1))
    html = '<p><img data-img="0" src="/etc/a.png"><img data-img="1" src="images/bad.svg"></p>'
    parts = [chapter_one([], html=html, images=images)] + others()
    with pytest.raises(BookError) as caught:
        resolve(book(root, parts), parts)
    found = [str(p) for p in caught.value.problems]
    assert found[0] == ("manuscript/001-first.md:7:3: error: absolute path `/etc/a.png` is not allowed: use a path "
                        "relative to the Markdown file, inside the book folder")
    assert found[1].startswith("manuscript/001-first.md:9:1: error: `images/bad.svg` is not a well-formed SVG file (")
    assert len(found) == 2


def test_a_cover_svg_is_sanitised_with_warnings_at_its_line_in_the_metadata(root):
    (root / "metadata.yaml").write_text("title: T\nauthor: A\n\ncover: manuscript/images/s.svg\n")
    parts = [chapter_one([])] + others()
    done = resolve(book(root, parts, cover="manuscript/images/s.svg"), parts)
    assert [str(p) for p in done.problems] == [
        "metadata.yaml:4:1: warning: `manuscript/images/s.svg`: <script> removed: books cannot run scripts"]
    assert [i.path for i in done.images] == ["manuscript/images/s.svg"]


def test_a_cover_line_not_found_is_the_first_line(root):
    (root / "metadata.yaml").write_text("title: T\n  cover: indented\n")
    parts = [chapter_one([])] + others()
    done = resolve(book(root, parts, cover="manuscript/images/s.svg"), parts)
    assert [(p.line, p.col) for p in done.problems] == [(1, 1)]


def test_loose_text_becomes_a_paragraph_and_an_empty_part_is_empty(root):
    parts = [chapter_one([], html="Loose &lt;b&gt; &amp; more<p>then</p>")] + others()
    parts[1] = ParsedPart(parts[1].source, "   ", (), frozenset(), (), ())
    done = resolve(book(root, parts), parts)
    assert "<p>Loose &lt;b&gt; &amp; more</p><p>then</p>" in done.parts[3].html
    preface = next(p for p in done.parts if p.part_id == "front-preface")
    assert preface.html.endswith("</header></section>")
    spaces = [chapter_one([], html="  <p>only</p>")] + others()
    assert "<p>  </p>" not in resolve(book(root, spaces), spaces).parts[3].html


def test_an_empty_link_with_children_shows_only_the_target_title(root):
    html = '<p><a data-ref="0"><em>old</em> words</a></p>'
    parts = [chapter_one([link(0, "7", wikilink=True, has_text=False)], html=html)] + others()
    done = resolve(book(root, parts), parts)
    assert '<a href="#c007" class="xref">7. Seventh</a>' in done.parts[3].html


def test_a_parts_elements_follow_each_other_with_nothing_added(root):
    parts = [chapter_one([], html='<p>one</p><p>two <em>2</em></p><ul><li>three</li></ul><p>four</p>')] + others()
    done = resolve(book(root, parts), parts)
    assert "<p>one</p><p>two <em>2</em></p><ul><li>three</li></ul><p>four</p>" in done.parts[3].html
