"""bookbuild.sanitize in-process: what raw HTML keeps, each removal reported with the text that
locates it and its message, and the nesting repaired."""

from __future__ import annotations

import pytest
from lxml import etree
from lxml import html as lxml_html

from bookbuild.parse import html_tree
from bookbuild.sanitize import repair_nesting, sanitize


def cleaned(markup: str) -> tuple[str, list[tuple[str, str]]]:
    """Raw HTML parsed as the build parses an author's (HTML5 rules), then sanitised."""
    root = html_tree(markup)
    reports: list[tuple[str, str]] = []
    sanitize(root, lambda needle, message: reports.append((needle, message)))
    return etree.tostring(root, encoding="unicode", method="html"), reports


@pytest.mark.parametrize("tag", ["script", "iframe", "object", "embed", "form", "applet", "base", "meta", "link",
                                 "noscript", "template", "canvas", "dialog", "input", "button", "select", "textarea"])
def test_an_active_element_is_removed_with_what_it_holds(tag):
    html, reports = cleaned(f"<p>before <{tag}>inside</{tag}> after</p>")
    assert f"<{tag}" not in html and "before" in html and "after" in html
    # Void elements hold nothing (the text after them is not theirs); the others go with their content.
    assert ("inside" in html) is (tag in ("embed", "base", "meta", "link", "input"))
    assert reports == [(f"<{tag}", f"<{tag}> removed: books cannot run scripts or embed other pages")]


@pytest.mark.parametrize("tag", ["frame", "frameset"])
def test_frames_are_removed(tag):
    """The HTML5 parser drops them in a body already; HTML parsed as written keeps them."""
    root = lxml_html.fragment_fromstring(f"<p>a</p><{tag}></{tag}>", create_parent="div")
    reports = []
    sanitize(root, lambda needle, message: reports.append((needle, message)))
    assert etree.tostring(root, encoding="unicode", method="html") == "<div><p>a</p></div>"
    assert reports == [(f"<{tag}", f"<{tag}> removed: books cannot run scripts or embed other pages")]


def test_nested_active_elements_are_reported_once_each_as_found():
    html, reports = cleaned("<form><input><script>x()</script></form><p>kept</p><script>y()</script>")
    assert html == "<div><p>kept</p></div>"
    assert reports == [("<form", "<form> removed: books cannot run scripts or embed other pages"),
                       ("<script", "<script> removed: books cannot run scripts or embed other pages")]


@pytest.mark.parametrize("markup, tag, advice", [
    ("<style>p { color: red }</style>", "style", "put the rules in styles/book.css"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "svg", "save it as an .svg file and use ![description](file.svg)"),
    ("<math><mi>x</mi></math>", "math", "write it as text or save it as an image"),
    ('<video src="a.mp4">words</video>', "video", "books cannot play media"),
    ('<audio src="a.mp3"></audio>', "audio", "books cannot play media"),
])
def test_content_a_book_cannot_show_is_removed_with_advice(markup, tag, advice):
    html, reports = cleaned(f"<p>text</p>{markup}")
    assert html == "<div><p>text</p></div>"
    assert reports == [(f"<{tag}", f"<{tag}> removed: {advice}")]


def test_a_picture_keeps_its_image_and_loses_its_sources():
    html, reports = cleaned('<picture><source srcset="big.webp" type="image/webp"><img src="a.png" alt="A"></picture>')
    assert html == '<div><img src="a.png" alt="A"></div>'
    assert reports == [("<source", "<source> removed: books cannot play media")]


def test_event_handlers_are_removed_whatever_their_case():
    html, reports = cleaned('<p onclick="a()" ONMOUSEOVER="b()" title="kept">t</p>')
    assert html == '<div><p title="kept">t</p></div>'
    assert reports == [("onclick=", "`onclick` attribute removed: books cannot run scripts"),
                       ("onmouseover=", "`onmouseover` attribute removed: books cannot run scripts")]


@pytest.mark.parametrize("attribute, value", [
    ("href", "javascript:alert(1)"), ("href", " JavaScript:alert(1)"), ("href", "java\nscript:alert(1)"),
    ("src", "vbscript:msgbox"), ("href", "data:text/html,<script>x</script>"),
])
def test_script_urls_are_removed(attribute, value):
    html, reports = cleaned(f'<a {attribute}="{value}" class="c">link</a>')
    assert html == '<div><a class="c">link</a></div>'
    shown = value.strip()
    assert reports == [(shown[:11], f"`{shown[:30]}` link removed: books cannot run scripts")]


def test_ordinary_links_and_data_images_stay():
    markup = '<a href="https://example.com/x">x</a><img src="data:image/png;base64,AAAA" alt="dot">'
    html, reports = cleaned(markup)
    assert html == f"<div>{markup}</div>" and reports == []


@pytest.mark.parametrize("attribute", ["srcset", "poster", "background", "longdesc", "ping", "formaction", "data", "action"])
def test_attributes_that_fetch_are_removed(attribute):
    html, reports = cleaned(f'<div {attribute}="x.png" id="kept">t</div>')
    assert html == '<div><div id="kept">t</div></div>'
    assert reports == [(f"{attribute}=", f"`{attribute}` attribute removed: books do not load other files this way")]


def test_an_image_keeps_its_src_and_alt_but_not_its_srcset():
    html, reports = cleaned('<img src="a.png" srcset="a2.png 2x" alt="A" longdesc="d.html">')
    assert html == '<div><img src="a.png" alt="A" longdesc="d.html"></div>'
    assert reports == [("srcset=", "`srcset` removed: an image has one file, in src")]


@pytest.mark.parametrize("style", ["background: url(x.png)", "@import 'x.css'", "width: EXPRESSION (alert(1))",
                                   "width: expr ession(1)"])
def test_a_style_attribute_that_loads_or_runs_is_removed(style):
    html, reports = cleaned(f'<span style="{style}">t</span>')
    assert html == "<div><span>t</span></div>"
    assert reports == [("style=", "`style` attribute removed: it loads another file (url() or @import)")]


def test_a_plain_style_attribute_stays():
    html, reports = cleaned('<span style="color: red">t</span>')
    assert html == '<div><span style="color: red">t</span></div>' and reports == []


def test_comments_are_left_alone():
    root = lxml_html.fragment_fromstring("<p>a<!-- onclick=x --></p>", create_parent="div")
    reports = []
    sanitize(root, lambda needle, message: reports.append((needle, message)))
    assert etree.tostring(root, encoding="unicode", method="html") == "<div><p>a<!-- onclick=x --></p></div>"
    assert reports == []


# --- nesting ------------------------------------------------------------------------------


def repaired(markup: str) -> str:
    """As libxml2 parses HTML (pandoc's own HTML), which keeps the nesting as written."""
    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    repair_nesting(root)
    return etree.tostring(root, encoding="unicode", method="html")


@pytest.mark.parametrize("tag", ["b", "i", "em", "strong", "span", "code", "small", "u", "font"])
def test_a_phrasing_element_around_a_block_is_unwrapped(tag):
    assert repaired(f"<{tag}>lead<h2>Heading</h2>tail</{tag}>") == "<div>lead<h2>Heading</h2>tail</div>"
    assert repaired(f"<p><{tag}>fine</{tag}></p>") == f"<div><p><{tag}>fine</{tag}></p></div>"


def test_nested_phrasing_around_a_list_is_unwrapped_from_the_inside_out():
    assert repaired("<b><i><ul><li>x</li></ul></i></b>") == "<div><ul><li>x</li></ul></div>"
    assert repaired("<b>x<i>y</i></b><p>z</p>") == "<div><b>x<i>y</i></b><p>z</p></div>"


def test_stray_text_and_elements_in_a_list_go_into_list_items():
    assert repaired("<ul> lead <li>a</li></ul>") == "<div><ul><li> lead </li><li>a</li></ul></div>"
    assert repaired("<ol>\n<li>a</li>\n</ol>") == "<div><ol>\n<li>a</li>\n</ol></div>"  # white space stays as it is
    assert repaired("<ul><p>para</p> tail</ul>") == "<div><ul><li><p>para</p></li><li> tail</li></ul></div>"
    assert repaired("<ol><li>a</li> between <li>b</li></ol>") == "<div><ol><li>a</li><li> between </li><li>b</li></ol></div>"


def test_sanitize_repairs_the_nesting_it_leaves():
    html, _ = cleaned("<b>x<script>y()</script><h2>H</h2></b>")
    assert html == "<div>x<h2>H</h2></div>"


def test_elements_after_a_comment_are_sanitised_too():
    root = lxml_html.fragment_fromstring('<!-- a comment --><p onclick="x()">t</p>', create_parent="div")
    reports = []
    sanitize(root, lambda needle, message: reports.append((needle, message)))
    assert etree.tostring(root, encoding="unicode", method="html") == "<div><!-- a comment --><p>t</p></div>"
    assert reports == [("onclick=", "`onclick` attribute removed: books cannot run scripts")]
