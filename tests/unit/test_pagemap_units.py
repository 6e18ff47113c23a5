"""bookbuild.pagemap in-process: where the EPUB's page markers go, given where the print
edition's pages begin (the block and the first words printed on the page), and which page
each marker names. The markers are the EPUB's own (``epub._page_marker``)."""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

from bookbuild.editions.epub import _page_marker
from bookbuild.pagemap import PageStart, Placement, insert_page_markers, page_blocks, placements, tag_blocks

MARK = "|"


def marked(body: str, *placed: tuple[int, str, tuple[str, ...]]) -> str:
    """The part's text with ``|N|`` where the marker of page N went, after placing
    ``(block, first words, pages)`` in a part whose body is ``body``."""
    root = lxml_html.fragment_fromstring(f"<section>{body}</section>")
    insert_page_markers(root, [Placement("c001", block, words, pages) for block, words, pages in placed], _page_marker)
    for marker in root.iter("span"):
        if marker.get("epub:type") == "pagebreak":
            assert marker.get("role") == "doc-pagebreak" and marker.get("id") == "page-" + marker.get("aria-label")
            marker.text = f"{MARK}{marker.get('aria-label')}{MARK}"
    return etree.tostring(root, encoding="unicode", method="text")


def test_a_page_that_begins_inside_a_hyphenated_word_is_marked_at_the_start_of_the_word():
    """The print page began with "ting roots" (the line before ended "rot-"): the reader's
    page starts at "rotting", never inside it."""
    body = "<p>One plant.</p><p>A pot with rotting roots looks dry on top.</p>"
    assert marked(body, (1, "ting roots looks dry", ("7",))) == "One plant.A pot with |7|rotting roots looks dry on top."


def test_a_soft_hyphen_or_a_compounds_hyphen_is_part_of_the_word():
    assert marked("<p>Wa\u00adter it when the soil is dry.</p><p>x</p>", (0, "ter it when", ("3",))) \
        == "|3|Wa\u00adter it when the soil is dry.x"
    assert marked("<p>A well-known rule: less water.</p>", (0, "known rule: less", ("4",))) \
        == "A |4|well-known rule: less water."


def test_a_page_that_begins_at_a_word_is_marked_before_it():
    assert marked("<p>Roots need air. Water less often.</p>", (0, "Water less often.", ("12",))) \
        == "Roots need air. |12|Water less often."


def test_a_page_that_begins_with_a_block_is_marked_before_the_block():
    root = lxml_html.fragment_fromstring("<section><p>First.</p><p>Second block.</p></section>")
    insert_page_markers(root, [Placement("c001", 1, "Second block.", ("2",))], _page_marker)
    assert [element.tag for element in root] == ["p", "span", "p"]  # beside the block, not inside it
    assert root[1].get("aria-label") == "2" and root[2].text == "Second block."


def test_in_a_list_the_marker_goes_inside_the_item():
    """A list holds only items: a marker beside an item would be invalid XHTML."""
    root = lxml_html.fragment_fromstring("<section><ul><li>One</li><li>Two</li></ul></section>")
    insert_page_markers(root, [Placement("c001", 1, "Two", ("5",))], _page_marker)
    items = root.find("ul")
    assert [element.tag for element in items] == ["li", "li"]
    assert items[1][0].get("aria-label") == "5" and items[1][0].tail == "Two"


def test_two_pages_in_one_block_are_found_in_order():
    """The second page's words also occur before the first page's: it is searched for after it."""
    body = "<p>Dry soil. Then wet soil. Dry soil again, and more.</p>"
    assert marked(body, (0, "wet soil.", ("8",)), (0, "Dry soil again,", ("9",))) \
        == "Dry soil. Then |8|wet soil. |9|Dry soil again, and more."


def test_words_split_across_inline_elements_and_spaces_are_found():
    body = "<p>Keep it <em>out of</em>  the sun, and <a href='#x'>water it</a> weekly.</p>"
    assert marked(body, (0, "out of the sun,", ("6",))) == "Keep it |6|out of  the sun, and water it weekly."
    assert marked(body, (0, "it weekly.", ("6",))) == "Keep it out of  the sun, and water |6|it weekly."


def test_where_only_the_first_word_is_found_the_page_begins_there():
    assert marked("<p>Soil. Light and air.</p>", (0, "Light and noise", ("2",))) == "Soil. |2|Light and air."


def test_words_not_found_mark_the_start_of_the_block():
    assert marked("<p>a</p><p>Soil and light.</p>", (1, "nowhere here", ("2",))) == "a|2|Soil and light."


def test_several_pages_at_one_place_are_marked_in_order():
    assert marked("<p>a</p><p>b c</p>", (1, "b c", ("ii", "iii", "1"))) == "a|ii||iii||1|b c"


def test_a_marker_at_the_end_of_a_block_text_goes_after_it():
    assert marked("<p>Soil and light</p>", (0, "", ("2",))) == "|2|Soil and light"
    root = lxml_html.fragment_fromstring("<section><p>Soil</p></section>")
    insert_page_markers(root, [Placement("c001", 0, "", ("1",))], _page_marker)
    assert root[0].tag == "span" and root[1].text == "Soil"


def test_pages_with_nothing_of_the_epub_are_marked_with_the_next_page_that_has_something():
    starts = [PageStart(1, "", 0, "", "i"), PageStart(2, "front-contents", 0, "Contents", "ii"),
              PageStart(3, "", 0, ""), PageStart(4, "c001", 0, "Water less", "1"),
              PageStart(5, "c001", 3, "than you think", "2"), PageStart(6, "", 0, "", "3"),
              PageStart(7, "c002", 0, "Light", "4"), PageStart(8, "", 0, "", "5"), PageStart(9, "", 0, "", "")]
    assert placements(starts, {"c001", "c002"}) == [
        Placement("c001", 0, "Water less", ("i", "ii", "3", "1")),
        Placement("c001", 3, "than you think", ("2",)),
        Placement("c002", 0, "Light", ("3", "4", "5", "9")),  # the blank pages at the end, with the last
    ]
    assert placements([PageStart(1, "", 0, "", "i")], {"c001"}) == []


def test_blocks_are_numbered_in_document_order_the_same_way_for_both_editions():
    root = lxml_html.fragment_fromstring(
        "<section><h1>T</h1><p>a</p><ul><li>b</li></ul><table><tr><td>c</td><th>d</th></tr></table>"
        "<pre>e</pre><figure><figcaption>f</figcaption></figure><div>no block</div><dl><dt>g</dt><dd>h</dd></dl></section>")
    assert [block.text for block in page_blocks(root)] == list("Tabcdefgh")
    tag_blocks(root)
    assert [block.get("data-pb") for block in page_blocks(root)] == [str(n) for n in range(9)]
    assert root.find("div").get("data-pb") is None


# Pages laid out by WeasyPrint in this process: 120px of text to a page (the heading and four
# lines on the first), one word-group a line (<br>), a running head, a footnote, generated
# text and an empty first line, none of which the EPUB has.
LAID_OUT = """<html><head><style>
@page { size: 400px 200px; margin: 40px 20px; @top-center { content: "Running head words here" } }
body { font: 14px/20px serif; orphans: 1; widows: 1 }
h1, p { margin: 0; font-size: 14px; line-height: 20px }
h1::before { content: "Chapter one: " }
.note { float: footnote }
.part { break-before: page }
</style></head><body>
<section class="part" id="c001"><h1 data-pb="0">Roots and water</h1>
<p data-pb="1">line one of the block<br>line two of the block<br>line three of the block<br>line four of the block<br>line five of the block<br>line six of the block<br>line seven of the block</p>
<p data-pb="2">Second block starts here<br>and goes on</p></section>
<section class="part" id="c002"><div>Text of no block first</div><p data-pb="0">Block of c002</p></section>
<section class="part" id="c003"><p data-pb="0"><br>Here<span class="note">Footnote words never start a page</span> it is</p></section>
</body></html>"""


def test_the_start_of_each_laid_out_page_is_its_first_block_and_words():
    """The words a page begins with are the first words of its first line of a numbered
    block: not the running head, not generated text (``::before``), not a footnote; a page
    whose first text is in no numbered block, or whose first line is empty, starts at the
    next line that has both."""
    import weasyprint

    pages = weasyprint.HTML(string=LAID_OUT).render().pages
    from bookbuild.pagemap import find_page_starts, page_lines

    assert find_page_starts(pages) == [
        PageStart(1, "c001", 0, "Roots and water"),
        PageStart(2, "c001", 1, "line five of the"),  # four words of the line
        PageStart(3, "c002", 0, "Block of c002"),
        PageStart(4, "c003", 0, "Here it is"),
    ]
    lines = [line for page in pages for line in page_lines(page)]
    assert ("c003", 0, []) in lines and ("c003", 0, ["Here", " it is"]) in lines, lines
    assert not [line for line in lines if "Footnote" in "".join(line[2]) or "Running" in "".join(line[2])]
    assert ("c002", None, ["Text of no block first"]) in lines
