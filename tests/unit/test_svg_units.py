"""bookbuild.svg in-process: what an SVG picture keeps and what is taken out of it, with the
message for each removal, and the pictures refused (not XML, not SVG, too many elements
drawn, a loop of references). Every edition gets these bytes."""

from __future__ import annotations

import pytest
from lxml import etree

from bookbuild import svg
from bookbuild.svg import MAX_ELEMENTS, SvgRefused, sanitize_svg

SVG = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


@pytest.fixture(autouse=True)
def sanitised_anew():
    """Each picture sanitised by the code as it is now: the results are kept per file's bytes
    (``_sanitized`` is cached), and a mutation run changes the code between tests."""
    svg._sanitized.cache_clear()


def clean(inside: str, root_attributes: str = "") -> tuple[str, tuple[str, ...]]:
    """The picture's elements and attributes once sanitised (its source without the
    namespaces, whitespace between elements kept), and the removals."""
    done = sanitize_svg(f"<svg {SVG} {root_attributes}>{inside}</svg>".encode())
    assert done.data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n")
    root = etree.fromstring(done.data)
    text = etree.tostring(root, encoding="unicode").replace(f" {SVG}", "")
    return text, done.removed


def test_each_active_element_is_removed_with_its_reason_and_the_text_after_it_stays():
    assert clean("<script>x()</script>a<g/><handler/>b<listener/><iframe/><object/><embed/><audio/><video/>"
                 "<canvas/><set/><animate/><animateMotion/><animateTransform/><animateColor/><discard/>c") == (
        "<svg>a<g/>bc</svg>",
        ("<script> removed: books cannot run scripts", "<handler> removed: books cannot run scripts",
         "<listener> removed: books cannot run scripts", "<iframe> removed: it embeds another page",
         "<object> removed: it embeds another file", "<embed> removed: it embeds another file",
         "<audio> removed: books cannot play media", "<video> removed: books cannot play media",
         "<canvas> removed: it is drawn by a script", "<set> removed: books do not animate pictures",
         "<animate> removed: books do not animate pictures", "<animateMotion> removed: books do not animate pictures",
         "<animateTransform> removed: books do not animate pictures",
         "<animateColor> removed: books do not animate pictures", "<discard> removed: books do not animate pictures"))


def test_a_web_page_or_an_inclusion_inside_the_picture_is_removed_whatever_its_name():
    text, removed = clean('<foreignObject><p/></foreignObject><g><div xmlns="http://www.w3.org/1999/xhtml">'
                          '<script/>page</div>t</g><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="x"/>')
    assert text == "<svg><g>t</g></svg>"
    assert removed == ("<foreignObject> removed: it embeds a web page in the picture",
                       "<html:div> removed: it is a document, not a picture",
                       "<xi:include> removed: it is a document, not a picture")


def test_the_first_child_removed_leaves_its_tail_to_the_parent():
    assert clean("<g><script/>kept<script/> too</g>")[0] == "<svg><g>kept too</g></svg>"


def test_handlers_scripts_and_fetches_in_attributes_are_removed():
    text, removed = clean(
        '<rect onclick="x()" ONMOUSEOVER="y()" fill="url(https://t.example/p#a)" stroke="url(&quot;file:///x&quot;)" '
        'style="fill: url(#own)" filter="url( #f)" mask="red"/>'
        '<a href="javascript:x()"/><a xlink:href=" VBScript:y()"/><a href="https://example.org/">w</a>'
        '<a href="mailto:me@example.org"/><a href="ftp://example.org/f"/><g xml:base="https://t.example/"/>'
        '<rect style="background: url(\'x.png\')"/><rect style="@import url(x.css)"/>')
    assert text == ('<svg><rect style="fill: url(#own)" filter="url( #f)" mask="red"/><a/><a/>'
                    '<a href="https://example.org/">w</a><a href="mailto:me@example.org"/><a/><g/><rect/><rect/></svg>')
    assert removed == (
        "`onclick` attribute removed: books cannot run scripts", "`onmouseover` attribute removed: books cannot run scripts",
        "`fill` attribute removed: it loads another file (url())", "`stroke` attribute removed: it loads another file (url())",
        "link to `javascript:x()` removed: books cannot run scripts", "link to `VBScript:y()` removed: books cannot run scripts",
        "reference to `ftp://example.org/f` removed: a picture may not load other files",
        "`xml:base` attribute removed: a picture may not change where its links point",
        "`style` attribute removed: it loads another file (url())", "`style` attribute removed: it loads another file (url())")


def test_an_image_shows_only_its_own_parts_or_raster_data_and_is_dropped_when_it_refers_to_nothing_left():
    text, removed = clean('<image href="data:image/png;base64,AAAA"/><image xlink:href="data:image/JPEG,x"/>'
                          '<image href="data:image/svg+xml,&lt;svg/&gt;"/><use href="#a"/><use xlink:href=" #b"/>'
                          '<feImage href="pic.png"/><use href="other.svg#a"/><image src="x.png"/><g id="a"/><g id="b"/>')
    assert text == ('<svg><image href="data:image/png;base64,AAAA"/><image xlink:href="data:image/JPEG,x"/>'
                    '<use href="#a"/><use xlink:href=" #b"/><g id="a"/><g id="b"/></svg>')
    assert removed == ("reference to `data:image/svg+xml,<svg/>` removed: a picture may not load other files",
                       "reference to `pic.png` removed: a picture may not load other files",
                       "reference to `other.svg#a` removed: a picture may not load other files",
                       "reference to `x.png` removed: a picture may not load other files")
    long = "https://t.example/" + "p" * 80
    assert clean(f'<image href="{long}"/>')[1] == (f"reference to `{long[:57]}...` removed: a picture may not load other files",)
    sixty = "https://t.example/" + "p" * 42
    assert clean(f'<image href=" {sixty} "/>')[1] == (f"reference to `{sixty}` removed: a picture may not load other files",)


def test_a_stylesheet_that_loads_something_goes_and_one_that_does_not_stays():
    assert clean("<style>.a { fill: url(#g) }</style><style>@IMPORT 'x.css';</style><style>.b { fill: url( 'p.png') }"
                 "</style><style/>") == ("<svg><style>.a { fill: url(#g) }</style><style/></svg>",
                                         ("<style> removed: it loads another file (url() or @import)",) * 2)


def test_what_stands_before_the_picture_goes_and_only_a_stylesheet_or_entities_are_said():
    data = (b'<?xml version="1.0"?>\n<?xml-stylesheet href="x.css"?><?other x?><!-- note -->'
            b'<!DOCTYPE svg [<!ENTITY e "text">]>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&e;</text><!-- c --><?pi x?></svg>')
    done = sanitize_svg(data)
    assert done.removed == ("<?xml-stylesheet?> removed: a picture may not load a stylesheet",
                            "<!DOCTYPE> removed: a picture may not declare entities",
                            "entity reference &e; removed: a picture may not declare entities")
    assert done.data == (b"<?xml version='1.0' encoding='utf-8'?>\n"
                         b'<svg xmlns="http://www.w3.org/2000/svg"><text/><!-- c --><?pi x?></svg>')
    plain = sanitize_svg(b'<!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg"/>')
    assert plain.removed == () and b"DOCTYPE" not in plain.data


def test_files_that_are_not_svg_pictures_are_refused_saying_why():
    with pytest.raises(SvgRefused, match=r"^is not a well-formed SVG file \(.+\): save it again from a drawing program$"):
        sanitize_svg(b"<svg><g></svg>")
    with pytest.raises(SvgRefused, match=r"^is not an SVG picture \(its root element is <html>\)$"):
        sanitize_svg(b'<html xmlns="http://www.w3.org/1999/xhtml"/>')


def test_a_picture_that_draws_too_many_elements_is_refused_and_one_just_under_is_kept():
    # Ten layers, each using the one below ten times: 10^10 elements drawn from a few KB.
    layers = '<g id="l0"><rect/></g>' + "".join(
        f'<g id="l{n}">' + f'<use href="#l{n - 1}"/>' * 10 + "</g>" for n in range(1, 10))
    with pytest.raises(SvgRefused, match=rf"^draws more than {MAX_ELEMENTS:,} elements once its <use> and url"):
        sanitize_svg(f"<svg {SVG}>{layers}</svg>".encode())
    # url(#id) counts as <use> does
    fills = '<g id="p0"><rect/></g>' + "".join(
        f'<g id="p{n}">' + f'<rect fill="url(#p{n - 1})"/>' * 10 + "</g>" for n in range(1, 10))
    with pytest.raises(SvgRefused, match="draws more than"):
        sanitize_svg(f"<svg {SVG}>{fills}</svg>".encode())
    # Exactly the limit drawn: the root, a group of ten, 9,089 uses of it (eleven each) and ten
    # more rectangles; one more rectangle is over it.
    under = f"<svg {SVG}>" + '<g id="a">' + "<rect/>" * 9 + "</g>" + '<use href="#a"/>' * 9089 + "<rect/>" * 10 + "</svg>"
    assert 1 + 10 + 9089 * 11 + 10 == MAX_ELEMENTS
    assert len(etree.fromstring(sanitize_svg(under.encode()).data)) == 1 + 9089 + 10
    over = under.replace("<rect/></svg>", "<rect/><rect/></svg>")
    with pytest.raises(SvgRefused, match="draws more than"):
        sanitize_svg(over.encode())


def test_a_loop_of_references_is_refused():
    for loop in ('<g id="a"><use href="#b"/></g><g id="b"><use xlink:href="#a"/></g>',
                 '<g id="a"><rect fill="url(#a)"/></g>', '<use id="s" href="#s"/>'):
        with pytest.raises(SvgRefused, match=r"^refers to itself \(a loop of <use> or url\(#\.\.\.\) references\): remove the loop$"):
            sanitize_svg(f"<svg {SVG}>{loop}</svg>".encode())
    # the same part used twice is no loop
    assert sanitize_svg(f'<svg {SVG}><g id="a"/><use href="#a"/><use href="#a"/><use href="#missing"/></svg>'.encode()).removed == ()
