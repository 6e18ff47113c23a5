"""bookbuild.editions.pdfx in-process, through finishing and the join, on the segments of a
real book (tests/unit/inputs.py): what a printer receives for each target (boxes, bleed,
marks, inks, PDF/X keys, page labels, no tags or links) and what a reader of the screen
edition gets. Judged with pikepdf, pypdf and the tests' own ink scanner (tests/inks.py),
never with the preflight."""

from __future__ import annotations

import dataclasses
import io

import pikepdf
import pytest
from inks import read_inks
from inputs import finish_inputs, font_program, print_edition, screen_edition
from pikepdf import Array, Dictionary, Name
from pypdf import PdfReader

from bookbuild.editions.finishing import FinishJob, finish_screen
from bookbuild.editions.pdfjoin import join_screen
from bookbuild.editions.pdfx import MARK_GAP, MARK_LENGTH, SLUG, page_labels
from bookbuild.printing import DEFAULT_COLOR_PROFILE

TRIM = [0.0, 0.0, 360.0, 576.0]  # 5in x 8in
BLEED = 9.0  # 0.125in


def with_settings(**changes) -> bytes:
    given = finish_inputs()
    return print_edition(given, dataclasses.replace(given.settings, **changes))


def edited(job: FinishJob, change) -> FinishJob:
    """A segment as laid out, changed by ``change(pdf)`` before it is finished."""
    with pikepdf.open(io.BytesIO(job.text)) as pdf:
        change(pdf)
        buffer = io.BytesIO()
        pdf.save(buffer)
    return dataclasses.replace(job, text=buffer.getvalue())


# Made again in each test that uses it, not once for the module: mutmut runs, for a mutant,
# only the tests that called the changed function, and a fixture kept for the module is
# called by the first of them alone.
@pytest.fixture
def generic() -> bytes:
    return with_settings()


@pytest.fixture
def kdp() -> bytes:
    return with_settings(target="kdp", marks="none")


@pytest.fixture
def ingramspark() -> bytes:
    return with_settings(target="ingramspark", marks="cross")


def boxes(data: bytes, key: str) -> list[list[float]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [[float(v) for v in page.obj[key]] for page in pdf.pages]


def test_every_page_of_the_generic_edition_has_bleed_on_all_sides_and_a_slug_for_the_marks(generic):
    labels = finish_inputs().printed
    assert boxes(generic, "/TrimBox") == [TRIM] * len(labels)
    assert boxes(generic, "/BleedBox") == [[-BLEED, -BLEED, 360 + BLEED, 576 + BLEED]] * len(labels)
    assert boxes(generic, "/MediaBox") == [[-BLEED - SLUG, -BLEED - SLUG, 360 + BLEED + SLUG, 576 + BLEED + SLUG]] * len(labels)
    with pikepdf.open(io.BytesIO(generic)) as pdf:
        assert not any("/CropBox" in page.obj or "/ArtBox" in page.obj for page in pdf.pages)


def test_print_on_demand_has_no_bleed_at_the_gutter_and_no_marks(kdp):
    bleeds = boxes(kdp, "/BleedBox")
    for index, box in enumerate(bleeds):
        right_hand = index % 2 == 0  # page 1 is a right-hand page: its gutter is on the left
        assert box == ([0.0, -BLEED, 360 + BLEED, 576 + BLEED] if right_hand else [-BLEED, -BLEED, 360.0, 576 + BLEED])
    assert boxes(kdp, "/MediaBox") == bleeds
    assert not any(marks_drawn(kdp, page) for page in range(len(bleeds)))


def marks_drawn(data: bytes, page: int) -> list[tuple[float, float, float, float]]:
    """The line segments stroked in registration colour (every ink in full) on a page."""
    lines = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        registration, start = False, None
        for operands, operator in pikepdf.parse_content_stream(pdf.pages[page]):
            op = str(operator)
            if op == "K":
                registration = [float(v) for v in operands] == [1, 1, 1, 1]
            elif op == "m":
                start = tuple(float(v) for v in operands)
            elif op == "l" and registration:
                lines.append(start + tuple(float(v) for v in operands))
    return lines


def test_crop_marks_lie_in_line_with_the_trim_edges_outside_the_bleed(generic):
    lines = marks_drawn(generic, 5)
    near, far = BLEED + MARK_GAP, BLEED + MARK_GAP + MARK_LENGTH
    expected = set()
    for x, y, dx, dy in ((0, 0, -1, -1), (360, 0, 1, -1), (0, 576, -1, 1), (360, 576, 1, 1)):
        expected.add((x + dx * near, y, x + dx * far, y))
        expected.add((x, y + dy * near, x, y + dy * far))
    assert {tuple(round(v, 3) for v in line) for line in lines} == expected
    assert len(lines) == 8


def test_the_marks_are_drawn_last_in_hairlines_in_a_state_of_their_own(generic):
    with pikepdf.open(io.BytesIO(generic)) as pdf:
        page = pdf.pages[5]
        streams = page.obj.Contents if isinstance(page.obj.Contents, pikepdf.Array) else [page.obj.Contents]
        last = [(str(op), [float(v) for v in operands]) for operands, op in pikepdf.parse_content_stream(streams[-1])]
        assert last[:3] == [("q", []), ("w", [0.25]), ("K", [1, 1, 1, 1])] and last[-1] == ("Q", [])
        assert {op for op, _ in last[3:-1]} == {"m", "l", "S"}
        assert streams[-1].get("/Filter") == Name.FlateDecode  # saved compressed


def test_cross_marks_are_centred_on_each_edge_outside_the_bleed(ingramspark):
    media = boxes(ingramspark, "/MediaBox")
    assert media[0] == [-SLUG, -BLEED - SLUG, 360 + BLEED + SLUG, 576 + BLEED + SLUG]  # no bleed at the gutter
    assert media[1] == [-BLEED - SLUG, -BLEED - SLUG, 360 + SLUG, 576 + BLEED + SLUG]
    lines = {tuple(round(v, 3) for v in line) for line in marks_drawn(ingramspark, 5)}
    outer = BLEED + MARK_GAP + MARK_LENGTH
    half = MARK_LENGTH / 2
    # IngramSpark has no bleed at the gutter, but the marks keep their distance from the trim.
    centres = [(180, -outer + half), (180, 576 + outer - half), (-outer + half, 288), (360 + outer - half, 288)]
    expected = set()
    for cx, cy in centres:
        expected |= {(cx - half, cy, cx + half, cy), (cx, cy - half, cx, cy + half)}
    assert lines == {tuple(round(v, 3) for v in line) for line in expected}


def test_crop_and_cross_marks_together():
    data = with_settings(marks="crop cross")
    assert len(marks_drawn(data, 0)) == 16


def test_the_printer_gets_cmyk_and_grey_only_within_the_ink_limit(generic, ingramspark):
    for data, limit in ((generic, 300), (ingramspark, 240)):
        inks = read_inks(io.BytesIO(data))
        assert inks.spaces <= {"DeviceCMYK", "DeviceGray"}, inks.spaces
        assert inks.image_spaces <= {"DeviceCMYK", "DeviceGray"}, inks.image_spaces
        assert inks.most_ink <= limit + 0.5
        assert inks.transparency == set() and inks.images_with_alpha == 0
        # The body text, black in the theme, prints in black ink alone.
        assert ("DeviceCMYK", (0.0, 0.0, 0.0, 1.0)) in inks.text_colours


def test_pdf_x_keys_version_and_output_intent(generic, ingramspark):
    for data, version, pdf_version in ((generic, "PDF/X-1a:2003", "1.4"), (ingramspark, "PDF/X-1a:2001", "1.3")):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert pdf.pdf_version == pdf_version
            assert str(pdf.docinfo["/GTS_PDFXVersion"]) == version
            assert str(pdf.docinfo["/GTS_PDFXConformance"]) == version
            assert pdf.docinfo["/Trapped"] == Name("/False")
            with pdf.open_metadata() as xmp:
                assert xmp["pdfxid:GTS_PDFXVersion"] == version
                assert xmp["pdf:Trapped"] == "False"
                assert "pdfuaid:part" not in xmp
            [intent] = pdf.Root.OutputIntents
            assert intent.Type == Name.OutputIntent and intent.S == Name.GTS_PDFX
            assert str(intent.OutputConditionIdentifier) == "CGATS TR 001"
            assert str(intent.RegistryName) == "http://www.color.org"
            assert str(intent.Info).startswith("SWOP")
            assert "/DestOutputProfile" not in intent  # the AGPL profile is never embedded
        assert b"/ObjStm" not in data  # PDF 1.3 and 1.4 have no object streams


def test_a_books_own_profile_is_embedded_and_named(tmp_path):
    from PIL import ImageCms

    given = finish_inputs()
    profile = tmp_path / "press.icc"
    profile.write_bytes(DEFAULT_COLOR_PROFILE.read_bytes())
    data = print_edition(given, profile=profile)
    named = ImageCms.getOpenProfile(str(profile)).profile
    expected = named.model or named.profile_description
    with pikepdf.open(io.BytesIO(data)) as pdf:
        [intent] = pdf.Root.OutputIntents
        assert intent.S == Name.GTS_PDFX and intent.Type == Name.OutputIntent
        assert str(intent.OutputConditionIdentifier) == expected and str(intent.Info) == expected
        assert intent.DestOutputProfile.read_bytes() == profile.read_bytes()
        assert int(intent.DestOutputProfile.N) == 4
        assert "/RegistryName" not in intent


def test_the_print_edition_has_no_tags_links_or_structure(generic):
    with pikepdf.open(io.BytesIO(generic)) as pdf:
        assert "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root
        for page in pdf.pages:
            assert "/Annots" not in page.obj and "/StructParents" not in page.obj
        assert "/Outlines" in pdf.Root  # the generic printer takes bookmarks


def test_kdp_gets_no_bookmarks(ingramspark):
    given = finish_inputs()

    def open_with_bookmarks_and_cropped(pdf):
        pdf.Root.PageMode = Name.UseOutlines  # open with the bookmarks shown
        pdf.pages[0].obj.CropBox = Array([-9, -9, 369, 585])

    jobs = [edited(given.jobs[0], open_with_bookmarks_and_cropped)] + given.jobs[1:]
    kdp = print_edition(given, dataclasses.replace(given.settings, target="kdp", marks="none"), jobs=jobs)
    with pikepdf.open(io.BytesIO(kdp)) as pdf:
        assert "/CropBox" not in pdf.pages[0].obj
        assert "/Outlines" not in pdf.Root and "/PageMode" not in pdf.Root
    with pikepdf.open(io.BytesIO(print_edition(given, jobs=jobs))) as pdf:
        assert "/Outlines" in pdf.Root and pdf.Root.PageMode == Name.UseOutlines
    with pikepdf.open(io.BytesIO(ingramspark)) as pdf:
        assert "/Outlines" in pdf.Root


def test_the_print_edition_is_padded_to_its_printed_folios_with_blank_pages(generic):
    labels = finish_inputs().printed
    reader = PdfReader(io.BytesIO(generic))
    assert len(reader.pages) == len(labels) == 18
    assert list(reader.page_labels) == list(labels)
    assert (reader.pages[-1].extract_text() or "").strip() == ""
    assert len(marks_drawn(generic, len(labels) - 1)) == 8  # a page like the others, marks and all


def test_even_padding_beyond_the_layout_has_the_trim_and_bleed_of_its_side():
    given = finish_inputs()
    data = print_edition(given, dataclasses.replace(given.settings, target="kdp", marks="none"),
                         printed=given.printed + ("13", "14"))
    assert len(PdfReader(io.BytesIO(data)).pages) == 20
    assert boxes(data, "/TrimBox")[-2:] == [TRIM, TRIM]
    assert boxes(data, "/BleedBox")[-2:] == [[0.0, -BLEED, 360 + BLEED, 576 + BLEED], [-BLEED, -BLEED, 360.0, 576 + BLEED]]


def test_a_page_annotation_with_a_structure_parent_is_untagged_too():
    given = finish_inputs()

    def annotated(pdf):
        pdf.pages[0].obj.Annots = pdf.make_indirect(Array([pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10], StructParent=99))]))

    data = print_edition(given, jobs=[edited(given.jobs[0], annotated)] + given.jobs[1:])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert b"/StructParent" not in pdf.pages[0].obj.unparse(resolved=True)
        assert "/Annots" not in pdf.pages[0].obj


def test_the_build_reports_no_transparency_it_could_not_flatten():
    from bookbuild.editions.finishing import finish_print
    from inputs import press_of

    given = finish_inputs()
    assert all(finish_print(job, press_of(given.settings)).unflattened == frozenset() for job in given.jobs)


def test_rebuilding_gives_the_same_bytes(generic):
    assert with_settings() == generic
    given = finish_inputs()
    assert screen_edition(given) == screen_edition(given)


# --- the screen edition -----------------------------------------------------------------------


@pytest.fixture
def screen() -> bytes:
    given = finish_inputs()

    def boxes_of_every_kind(pdf):
        pdf.pages[0].obj.CropBox = Array([-9, -9, 369, 585])
        pdf.pages[0].obj.ArtBox = Array([0, 0, 360, 576])

    return screen_edition(given, [edited(given.jobs[0], boxes_of_every_kind)] + given.jobs[1:])


def test_the_screen_edition_is_cut_to_the_trim_and_keeps_links_tags_and_colour(screen):
    given = finish_inputs()
    with pikepdf.open(io.BytesIO(screen)) as pdf:
        for page in pdf.pages:
            assert [float(v) for v in page.obj.MediaBox] == TRIM
            assert not any(key in page.obj for key in ("/TrimBox", "/BleedBox", "/CropBox", "/ArtBox"))
        assert "/StructTreeRoot" in pdf.Root and "/Outlines" in pdf.Root
        assert any("/Annots" in page.obj for page in pdf.pages)
        assert pdf.pdf_version >= "1.5"
    assert b"/ObjStm" in screen  # object streams pack the structure tree
    assert "DeviceRGB" in read_inks(io.BytesIO(screen)).spaces  # colours as the layout drew them
    expected = [label for n, label in enumerate(given.printed) if n not in given.blank][:len(PdfReader(io.BytesIO(screen)).pages)]
    assert list(PdfReader(io.BytesIO(screen)).page_labels) == expected


@pytest.mark.parametrize("labels, expected", [
    (("i", "ii", "1", "2"), [0, {"/S": "/r"}, 2, {"/S": "/D", "/St": 1}]),
    (("i", "ii", "iii", "iv"), [0, {"/S": "/r"}]),  # all front matter
    (("i", "v", "7", "8"), [0, {"/S": "/r"}, 1, {"/S": "/r", "/St": 5}, 2, {"/S": "/D", "/St": 7}]),  # folios that skip
])
def test_page_labels_are_the_folios_given_a_range_wherever_they_do_not_follow_on(labels, expected):
    nums = page_labels(labels).Nums
    assert [int(v) if isinstance(v, int) else {k: (str(x) if not isinstance(x, int) else int(x)) for k, x in v.items()}
            for v in nums] == expected


def test_a_blank_page_has_the_trim_of_the_page_before_it_and_the_bleed_of_its_side(generic):
    given = finish_inputs()
    kdp = with_settings(target="kdp", marks="none")
    empty = [n for n, label in enumerate(given.printed) if n in given.blank and n not in
             {page for job in given.jobs for page in job.blank_pages}]  # pages the join adds between segments
    assert empty
    for data in (generic, kdp):
        trims, bleeds = boxes(data, "/TrimBox"), boxes(data, "/BleedBox")
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for n in empty:
                page = pdf.pages[n].obj
                assert trims[n] == trims[n - 1] == TRIM and page.Type == Name.Page and dict(page.Resources) == {}
                assert bleeds[n] == (bleeds[n - 2] if data is kdp else bleeds[n - 1])  # a left-hand page's bleed
    assert len(marks_drawn(generic, empty[0])) == 8 and marks_drawn(kdp, empty[0]) == []


def test_the_screen_edition_leaves_out_blank_pages_and_keeps_the_others_folios():
    labels = ("i", "ii", "iii", "iv", "1", "2", "3", "4")

    def document(widths) -> bytes:
        with pikepdf.new() as pdf:
            for n, width in enumerate(widths):
                page = pdf.add_blank_page(page_size=(width, 100))  # each page told apart by its width
                page.obj.TrimBox = Array([0, 0, width, 100])
                page.obj.BleedBox = Array([0, 0, width, 100])
            buffer = io.BytesIO()
            pdf.save(buffer)
            return buffer.getvalue()

    widths = [100 + n for n in range(len(labels))]
    job = FinishJob(document(widths), document(widths), frozenset({1, 5}))
    done = join_screen([finish_screen(job)], tuple(l for n, l in enumerate(labels) if n not in {1, 5}), job.text, font_program)
    with pikepdf.open(io.BytesIO(done)) as screen:
        assert [float(page.obj.MediaBox[2]) for page in screen.pages] == [100, 102, 103, 104, 106, 107]
    assert list(PdfReader(io.BytesIO(done)).page_labels) == ["i", "iii", "iv", "1", "3", "4"]
