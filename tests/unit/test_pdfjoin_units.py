"""bookbuild.editions.pdfjoin in-process, on the segments of a real book (tests/unit/inputs.py):
pages in order with an empty page before each segment that would start on the left, every
page drawn as its segment drew it (rendered with PDFium), every glyph as the original font
draws it, one structure tree, every anchor and bookmark on its page, links between segments
resolved, shared images and fonts kept once."""

from __future__ import annotations

import io

import pikepdf
import pytest
from drawn import glyph_mismatches, render_mismatches
from inputs import join_inputs
from pikepdf import Name
from pypdf import PdfReader
from test_drawn import LIKENESS, TEXT_AREA

from bookbuild.editions.pdfjoin import LINK_SCHEME, join


@pytest.fixture(scope="module")
def inputs():
    return join_inputs()


# Made again in each test that uses it, not once for the module: mutmut runs, for a mutant,
# only the tests that called the changed function, and a fixture kept for the module is
# called by the first of them alone.
@pytest.fixture
def joined(inputs) -> bytes:
    return join(*inputs)


@pytest.fixture(scope="module")
def placed(inputs) -> list[tuple[int, int] | None]:
    """For each joined page, (segment, page in it), or None for an empty page the join adds."""
    segments, _, blank_before, _ = inputs
    pages: list[tuple[int, int] | None] = []
    for number, (data, blank) in enumerate(zip(segments, blank_before)):
        if blank and number > 0:
            pages.append(None)
        with pikepdf.open(io.BytesIO(data)) as segment:
            pages += [(number, page) for page in range(len(segment.pages))]
    return pages


def texts(data: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_pages_follow_in_order_with_an_empty_left_page_where_a_segment_would_start_on_one(inputs, joined, placed):
    segments, decorations, _, labels = inputs
    joined_texts = texts(joined)
    assert len(joined_texts) == len(placed) == len(labels)
    segment_texts = [texts(data) for data in segments]
    decoration_texts = [texts(data) for data in decorations]
    for page, where in enumerate(placed):
        if where is None:
            assert joined_texts[page] == "", page
            assert page % 2 == 1  # a left-hand page, so that the next segment starts on the right
            continue
        segment, in_segment = where
        assert segment_texts[segment][in_segment] in joined_texts[page], page
        assert decoration_texts[segment][in_segment] in joined_texts[page], page


def test_every_page_is_drawn_as_its_segment_drew_it(inputs, joined, placed, tmp_path):
    (tmp_path / "joined.pdf").write_bytes(joined)
    problems, compared = render_mismatches(tmp_path / "joined.pdf", inputs[0], TEXT_AREA, LIKENESS["screen_pdf"], tmp_path)
    assert problems == []
    assert compared == len(placed)


def test_every_glyph_is_the_original_fonts_and_each_font_is_embedded_once(joined, tmp_path):
    (tmp_path / "joined.pdf").write_bytes(joined)
    assert glyph_mismatches(tmp_path / "joined.pdf") == []
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        programs: dict[str, set] = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == Name.FontDescriptor and "/FontFile2" in obj:
                programs.setdefault(str(obj.FontName).split("+")[-1], set()).add(obj.FontFile2.objgen)
                assert int(obj.FontFile2.Length1) == len(obj.FontFile2.read_bytes())
        assert programs and all(len(kept) == 1 for kept in programs.values()), programs


def test_an_image_two_segments_brought_is_kept_once(joined):
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        images = {xobject.objgen for page in pdf.pages
                  for xobject in page.obj.Resources.get("/XObject", {}).values() if xobject.get("/Subtype") == Name.Image}
        drawn_on = [n for n, page in enumerate(pdf.pages)
                    if any(x.get("/Subtype") == Name.Image for x in page.obj.Resources.get("/XObject", {}).values())]
    assert len(images) == 1
    assert len(drawn_on) >= 2


def test_each_page_wears_its_decoration_as_an_artifact_after_its_own_content(joined, placed):
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        for number, (page, where) in enumerate(zip(pdf.pages, placed)):
            if where is None:
                assert "/Decoration" not in str(list(page.obj.Resources.get("/XObject", {}).keys()))
                continue
            content = page.obj.Contents
            streams = [stream.read_bytes() for stream in content] if isinstance(content, pikepdf.Array) else [content.read_bytes()]
            assert streams[0] == b"q\n"
            assert streams[-1] == f"Q\n/Artifact BMC q /Decoration{number} Do Q EMC\n".encode()
            assert page.obj.Resources.XObject[f"/Decoration{number}"].Subtype == Name.Form


def test_one_structure_tree_holds_every_segments_elements_with_distinct_keys(inputs, joined):
    segments = inputs[0]
    kids = 0
    keys = 0
    for data in segments:
        with pikepdf.open(io.BytesIO(data)) as segment:
            kids += len(segment.Root.StructTreeRoot.K[0].K)
            keys += len(segment.Root.StructTreeRoot.ParentTree.Nums) // 2
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        assert len(document.K) == kids
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        nums = root.ParentTree.Nums
        tree_keys = [int(nums[n]) for n in range(0, len(nums), 2)]
        assert tree_keys == list(range(keys))  # sorted, none taken twice, none lost
        assert int(root.ParentTreeNextKey) == keys
        used = [int(page.obj.StructParents) for page in pdf.pages if "/StructParents" in page.obj]
        used += [int(a.StructParent) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/StructParent" in a]
        assert sorted(used) == sorted(set(used)) and set(used) <= set(tree_keys)
        assert len(used) == keys


def destinations_of(data: bytes) -> dict[str, tuple[int, float]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        number = {page.objgen: n for n, page in enumerate(pdf.pages)}
        if "/Names" not in pdf.Root:
            return {}
        return {str(name): (number[dest[0].objgen], float(dest[3]))
                for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def test_every_anchor_of_every_segment_is_named_on_its_page(inputs, joined, placed):
    found = destinations_of(joined)
    expected = {}
    for number, data in enumerate(inputs[0]):
        for name, (page, top) in destinations_of(data).items():
            expected.setdefault(name, (placed.index((number, page)), top))
    assert found == expected
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        flat = pdf.Root.Names.Dests.Names
        names = [str(flat[n]) for n in range(0, len(flat), 2)]
        assert names == sorted(names)


def test_links_between_segments_go_to_their_anchor_and_say_its_page(inputs, joined):
    labels = inputs[3]
    anchors = destinations_of(joined)
    resolved = 0
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                action = annotation.get("/A")
                assert action is None or not str(action.get("/URI", "")).startswith(LINK_SCHEME)
                if "/Dest" in annotation:
                    anchor = str(annotation.Dest)
                    assert str(annotation.Contents) == f"Go to page {labels[anchors[anchor][0]]}"
                    resolved += 1
    written = sum(str(a.A.URI).startswith(LINK_SCHEME)
                  for data in inputs[0] for page in pikepdf.open(io.BytesIO(data)).pages
                  for a in page.obj.get("/Annots", []) if "/A" in a)
    assert resolved == written > 0
    assert any(str(annotation.Contents) == "Go to page 1" for page in pikepdf.open(io.BytesIO(joined)).pages
               for annotation in page.obj.get("/Annots", []) if "/Dest" in annotation)


def outline(data: bytes) -> list[tuple[str, int, float, list]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        number = {page.objgen: n for n, page in enumerate(pdf.pages)}

        def read(items):
            return [(str(item.title), number[item.destination[0].objgen], float(item.destination[3]), read(item.children))
                    for item in items]

        with pdf.open_outline() as found:
            return read(found.root)


def test_bookmarks_keep_their_titles_order_nesting_and_places(inputs, joined, placed):
    def shifted(items, segment):
        return [(title, placed.index((segment, page)), top, shifted(children, segment)) for title, page, top, children in items]

    expected = [item for number, data in enumerate(inputs[0]) for item in shifted(outline(data), number)]
    assert outline(joined) == expected
    assert [title for title, *_ in expected][:2] == ["Contents", "1. First"]
    assert any(children for *_, children in expected)  # sections under their chapter


def test_one_segment_joins_to_itself(inputs):
    segments, decorations, _, labels = inputs
    alone = join(segments[2:3], decorations[2:3], [True], labels)  # a chapter that links nowhere else
    assert all(own in whole for own, whole in zip(texts(segments[2]), texts(alone), strict=True))
    with pikepdf.open(io.BytesIO(segments[2])) as segment, pikepdf.open(io.BytesIO(alone)) as pdf:
        assert len(pdf.pages) == len(segment.pages)
        assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == len(segment.Root.StructTreeRoot.ParentTree.Nums) // 2
