"""Colour on paper: the print edition's inks, read by the tests' own interpreter (inks.py).

tests/books/colour asks for everything a press cannot print as it is: text at 60%
opacity, an rgba() colour, grey text, a gradient, a picture with an alpha channel
(drawn once as it is and once at 60% opacity) and a dark colour past some printers'
ink limits. The print edition must hold process inks only, with the transparency
flattened onto the paper as tints, and within the target's ink limit.
"""

from __future__ import annotations

import pytest
from conftest import build_book, copy_book, run_build
from inks import read_inks


def colour_book(tmp_path_factory, target: str):
    book = copy_book("colour", tmp_path_factory.mktemp(f"colour-{target}") / "book")
    with (book / "metadata.yaml").open("a") as metadata:
        metadata.write(f"  target: {target}\n")
    return build_book(book, book / "dist", "colour-on-paper")


@pytest.fixture(scope="module")
def generic(tmp_path_factory):
    return colour_book(tmp_path_factory, "generic")


@pytest.fixture(scope="module")
def ingramspark(tmp_path_factory):
    return colour_book(tmp_path_factory, "ingramspark")


def test_everything_prints_in_process_inks(generic):
    inks = read_inks(generic.print_pdf)
    assert inks.spaces - {"Pattern"} <= {"DeviceCMYK", "DeviceGray"}  # a pattern's own content is read too
    assert inks.shading_spaces == {"DeviceCMYK"}  # the gradient, separated
    assert inks.image_spaces == {"DeviceCMYK"} and inks.images_with_alpha == 0


def test_transparency_is_flattened_onto_the_paper_as_tints(generic):
    inks = read_inks(generic.print_pdf)
    assert inks.transparency == set()
    black = {colour[3] for space, colour in inks.text_colours if space == "DeviceCMYK" and colour[:3] == (0, 0, 0)}
    assert {1.0, 0.6, 0.3, 0.4} <= black  # black; at 60% opacity; rgba() at 30%; grey #999999


def test_the_screen_edition_keeps_its_transparency(generic):
    """The flattening is the print edition's alone: a screen shows real opacity."""
    inks = read_inks(generic.screen_pdf)
    assert "painted with opacity below 1" in inks.transparency and "DeviceRGB" in inks.spaces


@pytest.mark.parametrize("target, limit", [("generic", 300), ("ingramspark", 240)])
def test_no_colour_lays_down_more_ink_than_the_printer_takes(target, limit, request):
    inks = read_inks(request.getfixturevalue(target).print_pdf)
    assert limit - 30 < inks.most_ink <= limit  # the dark colour comes close, and stays within


@pytest.mark.parametrize("where", ["stylesheet", "raw HTML"])
def test_transparency_that_cannot_be_flattened_is_an_error_where_it_is_asked_for(where, tmp_path):
    """A gradient through a transparent colour becomes a soft mask, which no tint can stand
    for: the build stops, pointing at the rule or the element that asks for it."""
    book = copy_book("colour", tmp_path / "book")
    chapter = book / "manuscript" / "001-tints.md"
    if where == "stylesheet":
        with (book / "styles" / "pdf.css").open("a") as css:
            css.write(".veil { height: 2em; background: linear-gradient(rgba(0, 0, 0, 0), #333); }\n")
        chapter.write_text(chapter.read_text() + "\n::: {.veil}\nUnder a veil.\n:::\n")
        expected = f"styles/pdf.css:{len((book / 'styles' / 'pdf.css').read_text().splitlines())}:"
    else:
        chapter.write_text(chapter.read_text() + '\n<div style="height: 2em; background: linear-gradient(transparent, #333)">'
                           "Under a veil.</div>\n")
        expected = f"manuscript/001-tints.md:{len(chapter.read_text().splitlines())}:"
    done = run_build("--book", book, "--out", tmp_path / "out", "--formats", "print")
    assert done.returncode == 1, done.stderr
    located = [line for line in done.stderr.splitlines() if line.startswith(expected)]
    assert located and "linear-gradient(...)" in located[0] and "cannot flatten" in located[0], done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
