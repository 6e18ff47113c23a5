"""The EPUB edition: real EPUBCheck, and cross-references landing where they should."""

import re
import shutil
import zipfile
from urllib.parse import unquote

import pytest
from conftest import (BOOKS, XHTML, copy_book, epub_names, epub_spine, epub_xhtml, epubcheck, epubcheck_summary,
                      pdf_page_labels, pdf_page_texts, run_build, text_of)
from lxml import etree


def xrefs(epub, name):
    return [(a.get("href"), text_of(a)) for a in epub_xhtml(epub, name).iter(f"{XHTML}a") if a.get("class") == "xref"]


def element_by_id(epub, href):
    name, _, fragment = href.partition("#")
    document = epub_xhtml(epub, name)
    return next(el for el in document.iter() if el.get("id") == fragment)


@pytest.mark.parametrize("book", ["sample", "refs"])
def test_epubcheck_reports_nothing(book, request):
    built = request.getfixturevalue(book)
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(built.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages


def test_spine_follows_chapter_numbers(refs):
    spine = epub_spine(refs.epub)
    assert spine == ["cover.xhtml", "front-title-page.xhtml", "front-copyright.xhtml", "nav.xhtml",
                     "c001.xhtml", "c007.xhtml", "c012.xhtml"]


def test_every_reference_form_lands_on_its_chapter_and_section(refs):
    assert xrefs(refs.epub, "c001.xhtml") == [
        ("c007.xhtml#c007", "the seventh"),
        ("c007.xhtml#c007-final-thoughts", "its ending"),
        ("c012.xhtml#c012", "12. Twelfth"),
        ("c012.xhtml#c012-final-thoughts", "12. Twelfth: Final thoughts"),
        ("c007.xhtml#c007", "seven by wiki"),
        ("c012.xhtml#c012", "12. Twelfth"),
        ("#c001-start-here", "the start"),
    ]


def test_same_heading_in_two_chapters_gets_two_targets(refs):
    seventh = element_by_id(refs.epub, "c007.xhtml#c007-final-thoughts")
    twelfth = element_by_id(refs.epub, "c012.xhtml#c012-final-thoughts")
    assert text_of(seventh) == text_of(twelfth) == "Final thoughts"
    assert "seventh" in text_of(seventh.getnext()) and "twelfth" in text_of(twelfth.getnext())


def test_link_targets_exist_in_the_package(refs):
    for href, _ in xrefs(refs.epub, "c001.xhtml"):
        if not href.startswith("#"):
            assert element_by_id(refs.epub, href) is not None


def test_footnotes_are_note_references_to_asides(refs):
    document = epub_xhtml(refs.epub, "c001.xhtml")
    noteref = next(a for a in document.iter(f"{XHTML}a") if a.get("{http://www.idpf.org/2007/ops}type") == "noteref")
    aside = next(el for el in document.iter(f"{XHTML}aside") if el.get("id") == noteref.get("href")[1:])
    assert aside.get("{http://www.idpf.org/2007/ops}type") == "footnote"
    assert "footnote of the first chapter" in text_of(aside)
    back = next(a for a in aside.iter(f"{XHTML}a") if a.get("role") == "doc-backlink")
    assert back.get("href") == "#" + noteref.get("id")


def test_nav_lists_chapters_and_their_sections(refs):
    nav = epub_xhtml(refs.epub, "nav.xhtml")
    toc = next(n for n in nav.iter(f"{XHTML}nav") if n.get("id") == "toc")
    links = [(a.get("href"), text_of(a)) for a in toc.iter(f"{XHTML}a")]
    assert ("c001.xhtml", "1. First") in links
    assert ("c007.xhtml#c007-final-thoughts", "Final thoughts") in links
    assert ("c012.xhtml#c012-final-thoughts", "Final thoughts") in links


def test_metadata_and_identifier_are_stable(refs):
    opf = epub_xhtml(refs.epub, "content.opf")
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert [text_of(c) for c in opf.iter(f"{dc}creator")] == ["Ada Tester", "Ben Checker"]
    assert next(opf.iter(f"{dc}language")).text == "en-GB"
    assert next(opf.iter(f"{dc}identifier")).text.startswith("urn:uuid:")


def test_drafts_are_built_only_when_asked(refs, tmp_path):
    assert "EPUB/c050.xhtml" not in epub_names(refs.epub)
    done = run_build("--book", BOOKS / "refs", "--out", tmp_path, "--formats", "epub", "--drafts")
    assert done.returncode == 0, done.stderr
    assert "EPUB/c050.xhtml" in epub_names(tmp_path / "cross-references-draft.epub")


def test_sample_book_has_cover_images_and_every_chapter(sample):
    names = epub_names(sample.epub)
    assert names[0] == "mimetype"
    assert {"EPUB/cover.xhtml", "EPUB/media/manuscript/images/cover.png",
            "EPUB/media/manuscript/images/opening-pots.png"} <= set(names)
    assert [n for n in epub_spine(sample.epub) if n.startswith("c0") or n.startswith("c1")] == [
        "c001.xhtml", "c002.xhtml", "c003.xhtml", "c012.xhtml", "c040.xhtml", "c045.xhtml", "c092.xhtml", "c100.xhtml",
    ]
    with zipfile.ZipFile(sample.epub) as archive:
        assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED


EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def page_list(epub):
    nav = epub_xhtml(epub, "nav.xhtml")
    pages = next(n for n in nav.iter(f"{XHTML}nav") if n.get(EPUB_TYPE) == "page-list")
    return [(text_of(a), a.get("href")) for a in pages.iter(f"{XHTML}a")]


def words_after(document, marker, count):
    """The first words of the text that follows ``marker`` in reading order (text that runs on
    across an element's edge, "thirsty</em>:", is one word, as a reader reads it)."""
    from bookbuild.pagemap import BLOCK_TAGS

    def block_of(node):
        element = node.getparent()
        while element is not None and etree.QName(element).localname not in BLOCK_TAGS:
            element = element.getparent()
        return element

    text, block = "", None
    for piece in marker.xpath("following::text()"):
        here = block_of(piece)
        text += (" " if here is not block else "") + piece
        block = here
        if len(text.split()) > count:
            break
    return text.split()[:count]


def test_page_list_agrees_with_the_print_pdf(sample):
    pdf_pages = pdf_page_texts(sample.print_pdf)
    labels = pdf_page_labels(sample.print_pdf)
    entries = page_list(sample.epub)
    assert [label for label, _ in entries] == labels  # every page, with the folio printed on it
    checked = 0
    for physical, (page, href) in enumerate(entries, start=1):
        name, _, marker_id = href.partition("#")
        document = epub_xhtml(sample.epub, name)
        marker = next(el for el in document.iter() if el.get("id") == marker_id)
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("aria-label") == page
        following, previous = marker.getnext(), marker.getprevious()
        if not (marker.tail or "").strip() and following is not None and following.get(EPUB_TYPE) == "pagebreak":
            continue  # a page with nothing of its own (blank, or the printed contents) shares the next one's place
        if not pdf_pages[physical - 1].strip():  # the blank page that ends a printed book: the last one's place
            assert physical == len(entries) and previous is not None and previous.get(EPUB_TYPE) == "pagebreak"
            continue
        words = words_after(document, marker, 5)
        # The page may begin inside a hyphenated word: compare from the second word on.
        # (A note's call in print, "Kew3,", is no part of the word.)
        printed = re.sub(r"(?<=[^\W\d])\d+", "", pdf_pages[physical - 1][:250])
        assert " ".join(words[1:4]) in printed, (page, words, printed)
        checked += 1
    assert checked >= 20


def test_page_list_names_the_print_edition_as_its_source(sample):
    opf = epub_xhtml(sample.epub, "content.opf")
    properties = {m.get("property"): m.text for m in opf.iter("{http://www.idpf.org/2007/opf}meta")}
    assert properties["pageBreakSource"].startswith("urn:")
    features = [m.text for m in opf.iter("{http://www.idpf.org/2007/opf}meta") if m.get("property") == "schema:accessibilityFeature"]
    assert {"pageNavigation", "printPageNumbers"} <= set(features)


def test_epub_only_build_has_no_page_list_and_says_so(tmp_path):
    done = run_build("--book", BOOKS / "refs", "--out", tmp_path, "--formats", "epub")
    assert done.returncode == 0, done.stderr
    assert "no page-list" in done.stderr and len([l for l in done.stderr.splitlines() if "page-list" in l]) == 1
    nav = epub_xhtml(tmp_path / "cross-references.epub", "nav.xhtml")
    assert not [n for n in nav.iter(f"{XHTML}nav") if n.get(EPUB_TYPE) == "page-list"]
    # Nor does its accessibility metadata claim one (a reading system would offer to go to a page).
    opf = epub_xhtml(tmp_path / "cross-references.epub", "content.opf")
    metas = [(m.get("property"), m.text) for m in opf.iter("{http://www.idpf.org/2007/opf}meta")]
    features = {text for name, text in metas if name == "schema:accessibilityFeature"}
    assert "tableOfContents" in features and not features & {"pageNavigation", "printPageNumbers"}, features
    assert "pageBreakSource" not in dict(metas)


def test_a_book_with_both_isbns_names_each_edition_by_its_own(tmp_path):
    """The EPUB is identified by the EPUB's ISBN; its page-list comes from the print edition,
    named by the print ISBN (a reader's "page 12" is the paper book's page 12)."""
    book = copy_book("refs", tmp_path / "book")
    with open(book / "metadata.yaml", "a", encoding="utf-8") as metadata:
        metadata.write("isbn:\n  epub: 978-0-306-40615-7\n  print: 978-1-86197-271-2\n")
    done = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub,print")
    assert done.returncode == 0, done.stderr
    opf = epub_xhtml(tmp_path / "out" / "cross-references.epub", "content.opf")
    identifier = opf.find(".//{http://purl.org/dc/elements/1.1/}identifier")
    assert identifier.text == "urn:isbn:9780306406157"
    assert opf.get("unique-identifier") == identifier.get("id")
    properties = {m.get("property"): m.text for m in opf.iter("{http://www.idpf.org/2007/opf}meta")}
    assert properties["pageBreakSource"] == "urn:isbn:9781861972712"


def test_body_font_is_embedded_and_used(refs):
    names = epub_names(refs.epub)
    fonts = [n for n in names if n.startswith("EPUB/fonts/")]
    assert {"EPUB/fonts/SourceSerifPro-Regular.ttf", "EPUB/fonts/SourceSerifPro-It.ttf"} <= set(fonts)
    with zipfile.ZipFile(refs.epub) as archive:
        css = archive.read("EPUB/style/book.css").decode()
        assert 'src: url("../fonts/SourceSerifPro-Regular.ttf")' in css
        assert archive.read("EPUB/fonts/SourceSerifPro-Regular.ttf")[:4] == b"\x00\x01\x00\x00"  # a TrueType font


def test_series_is_a_collection(refs):
    opf = epub_xhtml(refs.epub, "content.opf")
    metas = {m.get("property"): m.text for m in opf.iter("{http://www.idpf.org/2007/opf}meta")}
    assert metas["belongs-to-collection"] == "Small test books" and metas["collection-type"] == "series"


def test_a_caption_is_shown_and_the_alt_text_describes_the_image(sample):
    """``![Caption](img){alt="..."}``: the caption under the image for everyone, the alt text
    for those who cannot see it; no rule of the theme hides a caption."""
    chapter = epub_xhtml(sample.epub, "c001.xhtml")
    figure = next(f for f in chapter.iter(f"{XHTML}figure") if f.find(f"{XHTML}figcaption") is not None)
    caption = figure.find(f"{XHTML}figcaption")
    assert text_of(caption) == "The watering can: the most dangerous tool in the house."
    assert caption.get("aria-hidden") is None
    assert figure.find(f".//{XHTML}img").get("alt").startswith("A watering can tipped over a pot")
    with zipfile.ZipFile(sample.epub) as archive:
        assert "display: none" not in archive.read("EPUB/style/book.css").decode().split("figcaption", 1)[-1].split("}")[0]


def test_titles_have_the_typography_of_the_text(sample):
    opf = epub_xhtml(sample.epub, "content.opf")
    title = next(el for el in opf.iter() if el.tag == "{http://purl.org/dc/elements/1.1/}title")
    assert title.text == "100 Things I\u2019ve Learned the Hard Way About Keeping Houseplants Alive"
    assert "I\u2019ve" in text_of(epub_xhtml(sample.epub, "front-title-page.xhtml"))
    assert sample.epub.name == "100-things-i-ve-learned-the-hard-way-about-keeping-houseplants-alive.epub"  # the slug as before


# --- the package: written by the toolchain itself (lxml and zipfile) ----------------------------

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
NCX = "{http://www.daisy.org/z3986/2005/ncx/}"


def manifest(epub):
    """href -> (id, media type, properties) of every item of the package document."""
    opf = epub_xhtml(epub, "content.opf")
    return {unquote(item.get("href")): (item.get("id"), item.get("media-type"), item.get("properties", ""))
            for item in opf.iter(f"{OPF}item")}


def test_the_package_document_describes_the_book(sample):
    opf = epub_xhtml(sample.epub, "content.opf")
    assert opf.get("version") == "3.0" and opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    dc = {}
    for element in opf.find(f"{OPF}metadata"):
        if element.tag.startswith(DC):
            dc.setdefault(element.tag.removeprefix(DC), []).append(element.text)
    assert dc["publisher"] == ["Potting Shed Press"]
    assert dc["rights"] == ["© 2026 Marigold Ashcombe. All rights reserved."]
    assert dc["description"][0].startswith("A friendly, practical and occasionally embarrassing field guide")
    assert dc["date"] == ["2026-11-01"]
    assert dc["subject"] == ["Houseplants", "Indoor gardening", "Container gardening", "Humour"]
    identifier = next(opf.iter(f"{DC}identifier"))
    assert opf.get("unique-identifier") == identifier.get("id")
    metas = [(m.get("property"), m.get("refines"), m.text) for m in opf.iter(f"{OPF}meta") if m.get("property")]
    assert ("dcterms:modified", None, "2026-11-01T00:00:00Z") in metas
    creator = next(opf.iter(f"{DC}creator"))
    assert (creator.text, ("role", f"#{creator.get('id')}", "aut") in metas) == ("Marigold Ashcombe", True)
    items = manifest(sample.epub)
    cover_id = next(m.get("content") for m in opf.iter(f"{OPF}meta") if m.get("name") == "cover")  # EPUB 2 readers
    assert items["media/manuscript/images/cover.png"] == (cover_id, "image/png", "cover-image")
    assert items["nav.xhtml"][2] == "nav" and items["toc.ncx"][1] == "application/x-dtbncx+xml"
    assert opf.find(f"{OPF}spine").get("toc") == items["toc.ncx"][0]


def test_the_archive_is_what_reading_systems_expect(sample):
    """``mimetype`` first, stored, so the file's first bytes say what it is; the container
    points to the package document; the manifest lists every file and only those; one
    timestamp, the book's date, on every entry (the same bytes on every build)."""
    data = sample.epub.read_bytes()
    assert data[:4] == b"PK\x03\x04" and data[30:38] == b"mimetype" and data[38:58] == b"application/epub+zip"
    with zipfile.ZipFile(sample.epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        entries = archive.infolist()
    rootfile = next(container.iter("{urn:oasis:names:tc:opendocument:xmlns:container}rootfile"))
    assert (rootfile.get("full-path"), rootfile.get("media-type")) == ("EPUB/content.opf", "application/oebps-package+xml")
    assert {entry.date_time for entry in entries} == {(2026, 11, 1, 0, 0, 0)}
    files = {entry.filename.removeprefix("EPUB/") for entry in entries} - {"mimetype", "META-INF/container.xml", "content.opf"}
    assert files == set(manifest(sample.epub))


def test_the_ncx_has_the_contents_of_the_navigation_document(refs):
    """For EPUB 2 reading systems, which read only the NCX: the same entries, nested alike,
    numbered in reading order, and the book's identifier."""
    nav = epub_xhtml(refs.epub, "nav.xhtml")
    toc = next(n for n in nav.iter(f"{XHTML}nav") if n.get("id") == "toc")

    def nav_entries(ol):
        return [(text_of(li.find(f"{XHTML}a")), li.find(f"{XHTML}a").get("href"),
                 nav_entries(li.find(f"{XHTML}ol")) if li.find(f"{XHTML}ol") is not None else [])
                for li in ol.findall(f"{XHTML}li")]

    def ncx_entries(parent):
        return [(text_of(point.find(f"{NCX}navLabel")), point.find(f"{NCX}content").get("src"), ncx_entries(point))
                for point in parent.findall(f"{NCX}navPoint")]

    ncx = epub_xhtml(refs.epub, "toc.ncx")
    assert ncx_entries(ncx.find(f"{NCX}navMap")) == nav_entries(toc.find(f"{XHTML}ol"))
    assert any(sections for _, _, sections in ncx_entries(ncx.find(f"{NCX}navMap")))
    orders = [int(point.get("playOrder")) for point in ncx.iter(f"{NCX}navPoint")]
    assert orders == list(range(1, len(orders) + 1))
    head = {meta.get("name"): meta.get("content") for meta in ncx.iter(f"{NCX}meta")}
    assert head["dtb:uid"] == next(epub_xhtml(refs.epub, "content.opf").iter(f"{DC}identifier")).text
    assert head["dtb:depth"] == "2"


def test_images_named_in_any_script_each_have_their_own_item(tmp_path):
    """Manifest ids do not come from file names: images named in Cyrillic, Greek and Japanese
    are each listed once, under a URL that reaches them, and EPUBCheck finds nothing."""
    book = copy_book("refs", tmp_path / "book")
    names = ["фото.png", "φωτο.png", "写真.png"]
    with (book / "manuscript" / "07-seventh.md").open("a", encoding="utf-8") as chapter:
        for name in names:
            shutil.copy(book / "manuscript" / "images" / "translucent.png", book / "manuscript" / "images" / name)
            chapter.write(f"\n![The picture {name}](images/{name})\n")
    done = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub")
    assert done.returncode == 0, done.stderr
    epub = tmp_path / "out" / "cross-references.epub"
    items = manifest(epub)
    assert {f"media/manuscript/images/{name}" for name in names} <= set(items)
    ids = [item_id for item_id, _, _ in items.values()]
    assert len(ids) == len(set(ids))
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages
