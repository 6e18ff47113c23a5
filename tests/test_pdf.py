"""The print and screen PDFs: boxes and bleed per printer target, PDF/X colour,
folios, running heads, recto chapter starts, links, bookmarks, tagging, and
"page N" numbers that agree with the pages their targets are on."""

import re
import shutil
import subprocess

import pikepdf
import pytest
from conftest import (REPO, copy_book, build_book, pdf_destinations, pdf_link_targets, pdf_page_labels,
                      pdf_page_texts)
from pypdf import PdfReader

from inks import read_inks

PT = 72  # points per inch
TRIM = [0, 0, 5 * PT, 8 * PT]  # tests/books/refs is 5in x 8in
BLEED = 0.125 * PT
SLUG = 18


def built_for_target(tmp_path_factory, target: str):
    """tests/books/refs with `print.target` set, print edition only."""
    book = copy_book("refs", tmp_path_factory.mktemp(target) / "book")
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("  marks: crop\n", "") + f"  target: {target}\n")
    return build_book(book, book / "dist", "cross-references", "--formats", "print,epub")


@pytest.fixture(scope="session")
def kdp(tmp_path_factory):
    return built_for_target(tmp_path_factory, "kdp")


@pytest.fixture(scope="session")
def ingramspark(tmp_path_factory):
    return built_for_target(tmp_path_factory, "ingramspark")


def page_boxes(pdf):
    with pikepdf.open(pdf) as document:
        return [{name: [float(v) for v in page.obj[name]] for name in ("/MediaBox", "/TrimBox", "/BleedBox") if name in page.obj}
                for page in document.pages]


# --- boxes, bleed and marks for each printer --------------------------------------------


def test_generic_print_pdf_bleeds_on_all_sides_with_crop_marks_outside(refs):
    for boxes in page_boxes(refs.print_pdf):
        assert boxes["/TrimBox"] == TRIM
        assert boxes["/BleedBox"] == [-BLEED, -BLEED, TRIM[2] + BLEED, TRIM[3] + BLEED]
        assert boxes["/MediaBox"] == [-BLEED - SLUG, -BLEED - SLUG, TRIM[2] + BLEED + SLUG, TRIM[3] + BLEED + SLUG]
    with pikepdf.open(refs.print_pdf) as document:
        stream = b"".join(c.read_bytes() for c in document.pages[0].obj.Contents) if isinstance(
            document.pages[0].obj.Contents, pikepdf.Array) else document.pages[0].obj.Contents.read_bytes()
    assert b"1 1 1 1 K" in stream  # crop marks in registration colour


@pytest.mark.parametrize("target", ["kdp", "ingramspark"])
def test_print_on_demand_bleeds_on_top_bottom_and_outside_only_without_marks(target, request):
    built = request.getfixturevalue(target)
    for index, boxes in enumerate(page_boxes(built.print_pdf)):
        right_hand = index % 2 == 0
        left = 0 if right_hand else -BLEED
        right = TRIM[2] + BLEED if right_hand else TRIM[2]
        assert boxes["/TrimBox"] == TRIM
        assert boxes["/BleedBox"] == [left, -BLEED, right, TRIM[3] + BLEED], index
        assert boxes["/MediaBox"] == boxes["/BleedBox"]  # no marks


def test_kdp_has_no_bookmarks_and_no_annotations(kdp):
    with pikepdf.open(kdp.print_pdf) as document:
        assert "/Outlines" not in document.Root
        assert not any("/Annots" in page.obj for page in document.pages)


def test_ingramspark_is_pdfx_1a_2001_with_an_even_page_count(ingramspark):
    with pikepdf.open(ingramspark.print_pdf) as document:
        assert len(document.pages) % 2 == 0
        assert str(document.docinfo["/GTS_PDFXVersion"]) == "PDF/X-1a:2001"
        assert document.pdf_version == "1.3"
        with document.open_metadata() as xmp:
            assert xmp["pdfxid:GTS_PDFXVersion"] == "PDF/X-1a:2001"


def test_screen_pdf_is_the_trim_size_without_bleed(refs):
    for boxes in page_boxes(refs.screen_pdf):
        assert boxes["/MediaBox"] == TRIM
        assert boxes.get("/TrimBox", TRIM) == TRIM


# --- PDF/X colour ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["refs", "kdp", "ingramspark"])
def test_print_edition_is_cmyk_for_a_registered_condition_with_no_transparency_or_annotations(target, request):
    built = request.getfixturevalue(target)
    with pikepdf.open(built.print_pdf) as document:
        (intent,) = document.Root.OutputIntents
        assert intent.S == pikepdf.Name("/GTS_PDFX")
        assert str(intent.OutputConditionIdentifier) == "CGATS TR 001" and str(intent.RegistryName) == "http://www.color.org"
        assert "/DestOutputProfile" not in intent  # Ghostscript's profile converts; it is not embedded
        assert not any("/Annots" in page.obj for page in document.pages)  # PDF/X: none on the printed area
        assert str(document.docinfo["/Trapped"]) == "/False"
    inks = read_inks(built.print_pdf)
    assert inks.spaces <= {"DeviceCMYK", "DeviceGray"} and inks.spaces
    assert inks.image_spaces == {"DeviceCMYK"} and inks.images_with_alpha == 0
    assert inks.transparency == set()
    assert inks.most_ink <= (240 if target == "ingramspark" else 300)


def test_text_prints_in_black_ink_only(sample):
    """Black and grey text is black ink alone (no rich black): four inks cannot register
    on hairline serifs."""
    inks = read_inks(sample.print_pdf)
    neutral = [(space, c) for space, c in inks.text_colours if space == "DeviceCMYK" and c[:3] == (0, 0, 0)]
    coloured = [(space, c) for space, c in inks.text_colours if space == "DeviceCMYK" and c[:3] != (0, 0, 0)]
    assert ("DeviceCMYK", (0.0, 0.0, 0.0, 1.0)) in neutral
    assert all(abs(c[0] - c[1]) > 0.05 or abs(c[1] - c[2]) > 0.05 for _, c in coloured), coloured  # only real colour uses C, M, Y


def test_screen_edition_keeps_rgb(refs):
    with pikepdf.open(refs.screen_pdf) as document:
        assert "/OutputIntents" not in document.Root
    assert "DeviceRGB" in read_inks(refs.screen_pdf).spaces


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_fonts_are_embedded(refs, edition):
    with pikepdf.open(getattr(refs, edition)) as document:
        fonts = {}
        for page in document.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
                fonts[str(font.BaseFont)] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("Source-Serif-Pro" in name for name in fonts)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
@pytest.mark.parametrize("target", ["refs", "kdp", "ingramspark", "sample"])
def test_qpdf_finds_nothing_wrong(target, request):
    built = request.getfixturevalue(target)
    for pdf in (built.print_pdf, built.screen_pdf):
        if pdf.exists():
            done = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr


# --- book typography --------------------------------------------------------------------


def test_chapters_start_on_right_hand_pages(refs):
    destinations = pdf_destinations(refs.print_pdf)
    for chapter in ("c001", "c007", "c012", "front-title-page", "front-contents"):
        assert destinations[chapter] % 2 == 1, (chapter, destinations[chapter])


def test_front_matter_is_numbered_in_roman_and_the_main_matter_from_one(refs):
    labels = pdf_page_labels(refs.print_pdf)
    first_chapter = pdf_destinations(refs.print_pdf)["c001"]
    assert labels[:first_chapter - 1] == ["i", "ii", "iii", "iv", "v", "vi"][:first_chapter - 1]
    assert labels[first_chapter - 1:first_chapter + 2] == ["1", "2", "3"]
    texts = pdf_page_texts(refs.print_pdf)
    assert texts[pdf_destinations(refs.print_pdf)["front-contents"] - 1].endswith(" v")  # its folio


def running_heads(pdf):
    """The text printed in each page's top margin (above the text block)."""
    heads = []
    for page in PdfReader(str(pdf)).pages:
        found = []
        top = float(page.trimbox[3]) if page.trimbox else float(page.mediabox[3])

        def visit(text, cm, tm, font, size):
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]  # the text's origin on the page
            if text.strip() and y > top - 0.6 * PT:
                found.append(text.strip())

        page.extract_text(visitor_text=visit)
        heads.append(" ".join(found))
    return heads


def test_running_heads_name_the_book_on_the_left_and_the_chapter_on_the_right(refs):
    heads = running_heads(refs.print_pdf)
    destinations = pdf_destinations(refs.print_pdf)
    texts = pdf_page_texts(refs.print_pdf)
    opener = destinations["c007"]
    assert heads[opener - 1] == ""  # none on the chapter's opening page
    assert heads[opener] == "Cross references"  # a left-hand page
    assert heads[opener + 1] == "Seventh"  # a right-hand page
    blank = next(n for n, text in enumerate(texts) if not text)  # blank versos carry nothing at all
    assert heads[blank] == ""


def test_every_page_prints_its_own_folio(refs):
    """Folios are laid over the pages after the chapters are joined: each must be the
    page's own label, blank pages and display pages (half-title, title, copyright) aside."""
    texts, labels = pdf_page_texts(refs.print_pdf), pdf_page_labels(refs.print_pdf)
    destinations = pdf_destinations(refs.print_pdf)
    display = {destinations[name] - 1 for name in ("front-half-title", "front-title-page", "front-copyright")}
    checked = 0
    for n, (text, label) in enumerate(zip(texts, labels)):
        if text and n not in display:
            assert text.split()[-1] == label, (n + 1, text[-60:])
            checked += 1
    assert checked >= 8


def test_blank_pages_have_no_folio(refs):
    texts = pdf_page_texts(refs.print_pdf)
    destinations = pdf_destinations(refs.print_pdf)
    assert texts[destinations["c007"] - 2] == ""  # the verso before chapter 7 is empty


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_printed_page_numbers_are_the_pages_of_the_targets(refs, edition):
    pdf = getattr(refs, edition)
    texts = pdf_page_texts(pdf)
    labels = pdf_page_labels(pdf)
    destinations = pdf_destinations(pdf)
    expected = {
        "the seventh": "c007", "its ending": "c007-final-thoughts", "12. Twelfth": "c012",
        "12. Twelfth: Final thoughts": "c012-final-thoughts", "seven by wiki": "c007", "the start": "c001-start-here",
    }
    first_chapter = " ".join(texts[destinations["c001"] - 1: destinations["c001"] + 3])
    for text, anchor in expected.items():
        printed = re.search(re.escape(text) + r" \(page (\w+)\)", first_chapter)
        assert printed, f"no page number after {text!r}"
        assert printed.group(1) == labels[destinations[anchor] - 1], text
    # the pages really hold what they are said to hold
    assert "seventh chapter’s final thoughts" in texts[destinations["c007-final-thoughts"] - 1]
    assert "twelfth chapter’s final thoughts" in texts[destinations["c012-final-thoughts"] - 1]
    assert destinations["c007-final-thoughts"] != destinations["c007"]  # on a later page than the opener


def test_contents_page_numbers_match_the_chapters(refs):
    texts = pdf_page_texts(refs.print_pdf)
    labels = pdf_page_labels(refs.print_pdf)
    destinations = pdf_destinations(refs.print_pdf)
    contents = texts[destinations["front-contents"] - 1]
    for title, anchor in (("1. First", "c001"), ("7. Seventh", "c007"), ("12. Twelfth", "c012")):
        printed = re.search(re.escape(title) + r"[ .]*?(\w+)\b", contents)
        assert printed and printed.group(1) == labels[destinations[anchor] - 1], (title, contents)


def test_footnote_is_on_the_page_of_its_call(refs):
    texts = pdf_page_texts(refs.print_pdf)
    page = pdf_destinations(refs.print_pdf)["c001-fnref1"]
    assert "The footnote of the first chapter." in texts[page - 1]


def test_web_addresses_are_printed_in_footnotes(sample):
    for pdf in (sample.print_pdf, sample.screen_pdf):  # one layout for both
        texts = pdf_page_texts(pdf)
        page = next(n for n, text in enumerate(texts) if "Further reading" in text)
        assert "https://www.rhs.org.uk/" in " ".join(texts[page:page + 2])


def test_web_links_are_clickable_in_the_screen_edition(sample):
    """Each link to a web address in the manuscript is a URI link over its own words in the
    screen PDF (PDFium reads the words under each link's rectangle); none in the print PDF."""
    import pypdfium2

    written = {}
    for chapter in sorted((REPO / "manuscript").glob("*.md")):
        written.update({url: " ".join(text.split()) for text, url in
                        re.findall(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", chapter.read_text(encoding="utf-8"))})
    assert len(written) == 4
    clicked: dict[str, list[str]] = {}
    document = pypdfium2.PdfDocument(str(sample.screen_pdf))
    with pikepdf.open(sample.screen_pdf) as pdf:
        for index, page in enumerate(pdf.pages):
            for annotation in page.obj.get("/Annots", []):
                action = annotation.get("/A")
                if annotation.get("/Subtype") == "/Link" and action is not None and action.get("/S") == "/URI":
                    left, bottom, right, top = (float(value) for value in annotation.Rect)
                    words = document[index].get_textpage().get_text_bounded(left, bottom, right, top)
                    clicked.setdefault(str(action.URI), []).append(" ".join(words.split()))
    assert {url: " ".join(texts) for url, texts in clicked.items()} == written
    with pikepdf.open(sample.print_pdf) as pdf:
        assert not any(page.obj.get("/Annots") for page in pdf.pages)


def test_both_pdfs_have_the_same_pages(refs):
    """The same pages and folios, but for those the print edition leaves blank (which carry
    no folio) so that a chapter begins on a right-hand page."""
    printed = [(text, label) for text, label in zip(pdf_page_texts(refs.print_pdf), pdf_page_labels(refs.print_pdf))
               if text.strip()]
    assert len(printed) < len(pdf_page_texts(refs.print_pdf))
    assert list(zip(pdf_page_texts(refs.screen_pdf), pdf_page_labels(refs.screen_pdf))) == printed


def test_half_title_title_and_copyright_pages(sample):
    texts = pdf_page_texts(sample.print_pdf)
    assert texts[0] == "100 Things I’ve Learned the Hard Way About Keeping Houseplants Alive"  # half-title
    assert texts[1] == ""
    assert texts[2].startswith("100 Things") and "Marigold Ashcombe" in texts[2]
    assert "All rights reserved" in texts[3] and "First edition" in texts[3] and "Potting Shed Press" in texts[3]


def test_titles_have_the_typography_of_the_text(sample):
    """Quotes and apostrophes in the book's title and a chapter's subtitle are curly on the
    title pages, in the running heads and on the chapter opener, as in the body text."""
    texts = pdf_page_texts(sample.print_pdf)
    assert "I've" not in " ".join(texts) and '"' not in " ".join(texts)
    assert texts[2].startswith("100 Things I’ve Learned")  # title page
    assert sum("100 Things I’ve Learned the Hard Way" in text for text in texts[9:]) > 5  # running heads
    assert any("What “bright, indirect light” actually means" in text for text in texts)  # a subtitle


def test_a_caption_is_shown_under_its_image(sample):
    texts = " ".join(pdf_page_texts(sample.print_pdf))
    assert "The watering can: the most dangerous tool in the house." in texts


# --- the screen edition -----------------------------------------------------------------


def test_cross_references_are_working_links_in_the_screen_edition(refs):
    pdf = refs.screen_pdf
    destinations = pdf_destinations(pdf)
    from_first = pdf_link_targets(pdf)[destinations["c001"]]
    assert {"c007", "c007-final-thoughts", "c012", "c012-final-thoughts"} <= from_first


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_bookmarks_nest_sections_under_chapters(refs, edition):
    with pikepdf.open(getattr(refs, edition)) as document, document.open_outline() as outline:
        tree = {item.title: [child.title for child in item.children] for item in outline.root}
    assert tree["1. First"] == ["Start here", "Going back"]
    assert tree["7. Seventh"] == ["Final thoughts"]
    assert tree["12. Twelfth"] == ["Final thoughts"]


def test_screen_pdf_is_tagged_for_accessibility(refs):
    with pikepdf.open(refs.screen_pdf) as document:
        root = document.Root
        assert root.MarkInfo.Marked
        assert str(root.Lang) == "en-GB"
        assert root.ViewerPreferences.DisplayDocTitle
        kinds, figures = set(), []

        def walk(element):
            if isinstance(element, pikepdf.Dictionary) and "/S" in element:
                kinds.add(str(element.S))
                if element.S == pikepdf.Name.Figure:
                    figures.append(element)
            kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                walk(kid)

        walk(root.StructTreeRoot)
    assert {"/H1", "/H2", "/P", "/Figure"} <= kinds
    assert figures and all(str(f.Alt) == "A translucent blue ellipse around an orange bar" for f in figures)


def test_joined_structure_tree_maps_every_marked_content_to_its_page(refs):
    """The screen edition is joined from one tagged PDF per chapter: every page's marked
    content and every link must still lead to structure elements of that page."""
    with pikepdf.open(refs.screen_pdf) as document:
        tree = document.Root.StructTreeRoot
        nums = tree.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert int(tree.ParentTreeNextKey) == max(parents) + 1
        checked = 0
        for page in document.pages:
            content = page.obj.Contents
            raw = b"".join(part.read_bytes() for part in content) if isinstance(content, pikepdf.Array) else content.read_bytes()
            mcids = {int(m) for m in re.findall(rb"/MCID (\d+)", raw)}
            if mcids:
                elements = parents[int(page.obj.StructParents)]
                for mcid in mcids:
                    assert elements[mcid].Pg.objgen == page.obj.objgen
                    checked += 1
            for annotation in page.obj.get("/Annots", []):
                element = parents[int(annotation.StructParent)]
                kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Obj") is not None
                           and k.Obj.objgen == annotation.objgen for k in kids)
        document_element = tree.K[0]
        assert all(kid.P.objgen == document_element.objgen for kid in document_element.K)
    assert checked > 200


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_each_font_is_embedded_once_with_every_glyph_the_text_uses(refs, edition):
    """Each chapter is laid out with its own font subsets; the joined PDF carries one
    program per font holding every glyph any of its pages draws."""
    import io

    from fontTools.ttLib import TTFont

    from bookbuild import theme

    originals = {}  # as WeasyPrint names them in the PDF, e.g. Source-Serif-Pro-Bold
    for face in theme.theme_fonts():
        style = ("-Bold" if face.weight >= 700 else "") + ("-Italic" if face.style == "italic" else "")
        originals[face.family.replace(" ", "-") + style] = TTFont(face.path)
    programs: dict[str, set] = {}
    used: dict[str, set[int]] = {}
    with pikepdf.open(getattr(refs, edition)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/CIDFontType2":
                descriptor = obj.FontDescriptor
                name = str(descriptor.FontName).split("+", 1)[1]
                programs.setdefault(name, set()).add(descriptor.FontFile2.objgen)
                widths, cids = list(obj.get("/W", [])), used.setdefault(name, set())
                i = 0
                while i < len(widths):  # [first [w1 w2 ...]] or [first last w]
                    if isinstance(widths[i + 1], pikepdf.Array):
                        cids.update(range(int(widths[i]), int(widths[i]) + len(widths[i + 1])))
                        i += 2
                    else:
                        cids.update(range(int(widths[i]), int(widths[i + 1]) + 1))
                        i += 3
                if name in originals and len(programs[name]) == 1:
                    program = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                    drawn = {gid for gid, g in enumerate(program.getGlyphOrder())
                             if program["glyf"][g].numberOfContours != 0}
                    original = originals[name]
                    should = {gid for gid in cids if original["glyf"][original.getGlyphOrder()[gid]].numberOfContours != 0}
                    assert should <= drawn, (name, sorted(should - drawn)[:10])
    assert all(len(streams) == 1 for streams in programs.values()), programs
    assert set(originals) & set(programs)


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_every_font_in_the_pdfs_carries_its_licence(refs, edition):
    """The SIL Open Font License asks every copy of a font to carry its copyright notice and
    licence: each font program embedded in a PDF has the name records of the theme's font
    file it was cut from (the copyright, 0; the licence and its address, 13 and 14)."""
    import io

    from fontTools.ttLib import TTFont

    from bookbuild import theme

    def names(font: TTFont) -> dict[int, str]:
        return {record.nameID: record.toUnicode() for record in font["name"].names
                if record.nameID in (0, 13, 14) and (record.platformID, record.langID) == (3, 0x409)}

    originals = {}  # as WeasyPrint names them in the PDF, e.g. Source-Serif-Pro-Bold
    for face in theme.theme_fonts():
        style = ("-Bold" if face.weight >= 700 else "") + ("-Italic" if face.style == "italic" else "")
        originals[face.family.replace(" ", "-") + style] = names(TTFont(face.path))
    assert all(set(found) == {0, 13, 14} and "Open Font License" in found[13] for found in originals.values())
    checked = set()
    with pikepdf.open(getattr(refs, edition)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" and "/FontFile2" in obj:
                name = str(obj.FontName).split("+", 1)[-1]
                if name in originals:
                    assert names(TTFont(io.BytesIO(obj.FontFile2.read_bytes()))) == originals[name], name
                    checked.add(name)
    assert len(checked) >= 2, checked  # the body text's faces at least


# --- preflight ----------------------------------------------------------------------------


def test_preflight_report_is_printed_for_each_pdf(refs):
    out = refs.process.stdout
    assert "preflight cross-references-print.pdf:" in out and "preflight cross-references-screen.pdf:" in out
    for line in ("ok   bleed 0.125in on all sides", "ok   colour: CMYK and grey only", "ok   no transparency",
                 "ok   tagged (structure tree)", "all embedded"):
        assert line in out


def test_preflight_fails_a_pdf_that_is_not_ready_for_press(refs):
    from bookbuild.model import PrintSettings
    from bookbuild.preflight import preflight_print

    # The screen edition has RGB, links, bookmarks and no bleed: all that KDP refuses.
    report = preflight_print(refs.screen_pdf.read_bytes(), PrintSettings("5in", "8in", "0.125in", "crop", "kdp"),
                             0.625, "screen-as-print.pdf")
    failures = " | ".join(report.errors)
    for expected in ("colour other than CMYK", "annotations inside the bleed box", "0 PDF/X output intents", "bleed box wrong",
                     "kdp wants no bookmarks", "Trapped is missing", "GTS_PDFXVersion is missing"):
        assert expected in failures


@pytest.mark.parametrize("book", ["sample", "refs"])
def test_never_three_hyphenated_lines_in_a_row(book, request):
    pdf = request.getfixturevalue(book).print_pdf
    hyphenated = 0
    ends = 0
    for page in PdfReader(str(pdf)).pages:
        hyphenated = 0  # a page break ends a ladder
        for line in (page.extract_text() or "").splitlines():
            if line.rstrip().endswith("\u2010"):
                hyphenated += 1
                ends += 1
                assert hyphenated < 3, line
            else:
                hyphenated = 0
    assert ends > 0  # hyphenation is on


def test_page_n_never_breaks_across_lines(tmp_path):
    """Forty cross-references in one justified paragraph: however the lines fall, "(page"
    and its number stay on one line."""
    book = tmp_path / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "metadata.yaml").write_text("title: Page numbers\nauthor: A. Tester\nlanguage: en-GB\n")
    words = " ".join(f"Word{'s' * (n % 5)} number {n} says see [[2]] and go on." for n in range(40))
    (book / "manuscript" / "001-many.md").write_text(f"---\ntitle: Many references\n---\n\n{words}\n")
    (book / "manuscript" / "002-target.md").write_text("---\ntitle: The target\n---\n\nHere.\n")
    built = build_book(book, tmp_path / "out", "page-numbers", "--formats", "print")
    import pypdfium2

    document = pypdfium2.PdfDocument(str(built.print_pdf))
    lines = [line.strip() for page in document for line in page.get_textpage().get_text_range().splitlines()]
    assert sum(line.count("(page") for line in lines) >= 40
    assert not [line for line in lines if line.endswith("(page")]
    assert not [line for line in lines if re.match(r"^\d+\)", line)]
