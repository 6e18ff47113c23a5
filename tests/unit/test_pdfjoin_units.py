"""bookbuild.editions.pdfjoin (and finishing, which it writes from) in-process, on the
segments of a real book (tests/unit/inputs.py): the print edition's pages in order with an
empty page before each segment that would start on the left, the screen edition's without
it, every page drawn as its segment drew it (rendered with PDFium), every glyph as the
original font draws it, one structure tree, every anchor and bookmark on its page, links
between segments resolved, shared images and fonts kept once, the file as qpdf reads it."""

from __future__ import annotations

import dataclasses
import io

import pikepdf
import pytest
from drawn import glyph_mismatches, render_mismatches
from inputs import finish_inputs, pdf_pages, print_edition, screen_edition
from pikepdf import Name
from pypdf import PdfReader
from test_drawn import LIKENESS, TEXT_AREA

from bookbuild.editions.finishing import LINK_SCHEME


@pytest.fixture(scope="module")
def given():
    return finish_inputs()


# Made again in each test that uses it, not once for the module: mutmut runs, for a mutant,
# only the tests that called the changed function, and a fixture kept for the module is
# called by the first of them alone.
@pytest.fixture
def printed(given) -> bytes:
    return print_edition(given)


@pytest.fixture
def screen(given) -> bytes:
    return screen_edition(given)


@pytest.fixture(scope="module")
def placed(given) -> list[tuple[int, int] | None]:
    """For each page of the print edition, (segment, page in it), or None for an empty page
    the join adds."""
    pages: list[tuple[int, int] | None] = []
    for number, (job, blank) in enumerate(zip(given.jobs, given.blank_before)):
        if blank and number > 0:
            pages.append(None)
        pages += [(number, page) for page in range(pdf_pages(job.text))]
    return pages + [None] * (len(given.printed) - len(pages))


@pytest.fixture(scope="module")
def placed_on_screen(given, placed) -> list[tuple[int, int]]:
    """The same for the screen edition, which has no page left blank."""
    return [where for n, where in enumerate(placed) if where is not None and n not in given.blank]


def texts(data: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_pages_follow_in_order_with_an_empty_left_page_where_a_segment_would_start_on_one(given, printed, placed):
    joined_texts = texts(printed)
    assert len(joined_texts) == len(placed) == len(given.printed)
    segment_texts = [texts(job.text) for job in given.jobs]
    decoration_texts = [texts(job.decoration) for job in given.jobs]
    assert None in placed[:-1]  # the fixture has an empty page between segments
    for page, where in enumerate(placed):
        if where is None:
            assert joined_texts[page] == "", page
            assert page % 2 == 1  # a left-hand page, so that the next segment starts on the right
            continue
        segment, in_segment = where
        assert segment_texts[segment][in_segment] in joined_texts[page], page
        assert decoration_texts[segment][in_segment] in joined_texts[page], page


def test_the_screen_edition_has_every_page_but_those_left_blank(given, screen, placed_on_screen):
    joined_texts = texts(screen)
    assert len(joined_texts) == len(placed_on_screen) < len(given.printed)
    segment_texts = [texts(job.text) for job in given.jobs]
    for page, (segment, in_segment) in enumerate(placed_on_screen):
        assert segment_texts[segment][in_segment] in joined_texts[page], page
    assert any(job.blank_pages for job in given.jobs)  # the front matter leaves one out


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_every_page_is_drawn_as_its_segment_drew_it(given, edition, tmp_path):
    data = print_edition(given) if edition == "print_pdf" else screen_edition(given)
    (tmp_path / "joined.pdf").write_bytes(data)
    problems, compared = render_mismatches(tmp_path / "joined.pdf", [job.text for job in given.jobs], TEXT_AREA,
                                           LIKENESS[edition], tmp_path)
    assert problems == []
    assert compared == pdf_pages(data)


@pytest.mark.parametrize("edition", ["print", "screen"])
def test_every_glyph_is_the_original_fonts_and_each_font_is_embedded_once(given, edition, tmp_path):
    data = print_edition(given) if edition == "print" else screen_edition(given)
    (tmp_path / "joined.pdf").write_bytes(data)
    assert glyph_mismatches(tmp_path / "joined.pdf") == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        programs: dict[str, set] = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == Name.FontDescriptor and "/FontFile2" in obj:
                programs.setdefault(str(obj.FontName).split("+")[-1], set()).add(obj.FontFile2.objgen)
                assert int(obj.FontFile2.Length1) == len(obj.FontFile2.read_bytes())
        assert programs and all(len(kept) == 1 for kept in programs.values()), programs


def test_an_image_two_segments_brought_is_kept_once(printed, screen):
    for data in (printed, screen):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            images = {xobject.objgen for page in pdf.pages
                      for xobject in page.obj.Resources.get("/XObject", {}).values() if xobject.get("/Subtype") == Name.Image}
            drawn_on = [n for n, page in enumerate(pdf.pages)
                        if any(x.get("/Subtype") == Name.Image for x in page.obj.Resources.get("/XObject", {}).values())]
        assert len(images) == 1
        assert len(drawn_on) >= 2


def test_each_page_wears_its_decoration_as_an_artifact_after_its_own_content(printed, screen, placed, placed_on_screen):
    for data, where_placed in ((printed, placed), (screen, placed_on_screen)):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for page, where in zip(pdf.pages, where_placed):
                if where is None:
                    assert "/Decoration" not in str(list(page.obj.Resources.get("/XObject", {}).keys()))
                    continue
                content = page.obj.Contents
                streams = [stream.read_bytes() for stream in content] if isinstance(content, pikepdf.Array) else [content.read_bytes()]
                # (The print edition's colours separated, a page's streams are one; its marks come last.)
                drawn = b"\n".join(streams)
                call = f"Q\n/Artifact BMC q /Decoration{where[1]} Do Q EMC\n".encode()
                assert drawn.startswith(b"q\n") and drawn.count(call) == 1
                assert drawn.index(call) > len(drawn) - len(call) - 400  # last, but for the marks
                assert page.obj.Resources.XObject[f"/Decoration{where[1]}"].Subtype == Name.Form


def test_one_structure_tree_holds_every_segments_elements_with_distinct_keys(given, screen):
    kids = 0
    keys = 0
    for job in given.jobs:
        with pikepdf.open(io.BytesIO(job.text)) as segment:
            kids += len(segment.Root.StructTreeRoot.K[0].K)
            keys += len(segment.Root.StructTreeRoot.ParentTree.Nums) // 2
    with pikepdf.open(io.BytesIO(screen)) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        assert len(document.K) == kids
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        assert document.P.objgen == root.objgen and document.S == Name.Document
        nums = root.ParentTree.Nums
        tree_keys = [int(nums[n]) for n in range(0, len(nums), 2)]
        assert tree_keys == list(range(keys))  # sorted, none taken twice, none lost
        assert int(root.ParentTreeNextKey) == keys
        used = [int(page.obj.StructParents) for page in pdf.pages if "/StructParents" in page.obj]
        used += [int(a.StructParent) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/StructParent" in a]
        assert sorted(used) == sorted(set(used)) and set(used) <= set(tree_keys)
        pages = {page.objgen for page in pdf.pages}
        for element in pdf.objects:  # no element on a page the edition does not have
            if isinstance(element, pikepdf.Dictionary) and "/Pg" in element:
                assert element.Pg.objgen in pages


def destinations_of(data: bytes) -> dict[str, tuple[int, float]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        number = {page.objgen: n for n, page in enumerate(pdf.pages)}
        if "/Names" not in pdf.Root:
            return {}
        return {str(name): (number[dest[0].objgen], float(dest[3]))
                for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


@pytest.mark.parametrize("edition", ["print", "screen"])
def test_every_anchor_of_every_segment_is_named_on_its_page(given, edition, placed, placed_on_screen):
    data, where_placed = (print_edition(given), placed) if edition == "print" else (screen_edition(given), placed_on_screen)
    found = destinations_of(data)
    expected = {}
    for number, job in enumerate(given.jobs):
        for name, (page, top) in destinations_of(job.text).items():
            if (number, page) in where_placed:
                expected.setdefault(name, (where_placed.index((number, page)), top))
    assert found == expected and len(found) > 10
    with pikepdf.open(io.BytesIO(data)) as pdf:
        flat = pdf.Root.Names.Dests.Names
        names = [str(flat[n]) for n in range(0, len(flat), 2)]
        assert names == sorted(names)


def test_links_between_segments_go_to_their_anchor_and_say_its_page(given, screen):
    labels = [label for n, label in enumerate(given.printed) if n not in given.blank]
    anchors = destinations_of(screen)
    resolved = 0
    with pikepdf.open(io.BytesIO(screen)) as pdf:
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                action = annotation.get("/A")
                assert action is None or not str(action.get("/URI", "")).startswith(LINK_SCHEME)
                if "/Dest" in annotation:
                    anchor = str(annotation.Dest)
                    assert str(annotation.Contents) == f"Go to page {labels[anchors[anchor][0]]}"
                    resolved += 1
    written = sum(str(a.A.URI).startswith(LINK_SCHEME)
                  for job in given.jobs for page in pikepdf.open(io.BytesIO(job.text)).pages
                  for a in page.obj.get("/Annots", []) if "/A" in a)
    assert resolved == written > 0
    assert any(str(annotation.Contents) == "Go to page 1" for page in pikepdf.open(io.BytesIO(screen)).pages
               for annotation in page.obj.get("/Annots", []) if "/Dest" in annotation)


def test_a_link_to_an_anchor_no_segment_has_is_a_bug_said_so(given):
    broken = dataclasses.replace(given.jobs[0], links=())
    with pytest.raises(RuntimeError, match="which no segment has"):
        screen_edition(given, [broken] + given.jobs[1:])


def outline(data: bytes) -> list[tuple[str, int, float, list]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        number = {page.objgen: n for n, page in enumerate(pdf.pages)}

        def read(items):
            return [(str(item.title), number[item.destination[0].objgen], float(item.destination[3]), read(item.children))
                    for item in items]

        with pdf.open_outline() as found:
            return read(found.root)


@pytest.mark.parametrize("edition", ["print", "screen"])
def test_bookmarks_keep_their_titles_order_nesting_and_places(given, edition, placed, placed_on_screen):
    data, where_placed = (print_edition(given), placed) if edition == "print" else (screen_edition(given), placed_on_screen)

    def shifted(items, segment):
        return [(title, where_placed.index((segment, page)), top, shifted(children, segment)) for title, page, top, children in items]

    expected = [item for number, job in enumerate(given.jobs) for item in shifted(outline(job.text), number)]
    assert outline(data) == expected
    assert [title for title, *_ in expected][:2] == ["Contents", "1. First"]
    assert any(children for *_, children in expected)  # sections under their chapter


def test_one_segment_joins_to_itself(given):
    job = given.jobs[2]  # a chapter that links nowhere else
    alone = screen_edition(dataclasses.replace(given, jobs=[job], blank_before=[False]), [job])
    assert all(own in whole for own, whole in zip(texts(job.text), texts(alone), strict=True))
    with pikepdf.open(io.BytesIO(job.text)) as segment, pikepdf.open(io.BytesIO(alone)) as pdf:
        assert len(pdf.pages) == len(segment.pages)
        assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == len(segment.Root.StructTreeRoot.ParentTree.Nums) // 2


@pytest.mark.parametrize("edition", ["print", "screen"])
def test_qpdf_finds_nothing_wrong_and_the_same_segments_give_the_same_bytes(given, edition):
    make = print_edition if edition == "print" else screen_edition
    data = make(given)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.check_pdf_syntax() == []  # qpdf's own check: the cross-reference, every object and stream read
    assert make(given) == data
