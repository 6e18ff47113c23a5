"""What a reader of the screen edition relies on, page by page: figures with alt text,
images drawn as figures or as artifacts, embedded fonts. Read for a whole file or for
one segment of the book, as ``drawing`` reads the print edition's pages."""

from __future__ import annotations

from dataclasses import dataclass

import pikepdf
from pikepdf import Name

from .drawing import fonts_of


@dataclass(frozen=True)
class ScreenFindings:
    figures: int = 0
    without_alt: int = 0  # figures whose alt text is missing or blank
    decorative: int = 0  # images drawn as artifacts
    untagged: int = 0  # images drawn in no marked content at all
    fonts: tuple[tuple[str, bool], ...] = ()  # (name, embedded), by name


def merged(parts: list[ScreenFindings]) -> ScreenFindings:
    fonts: dict[str, bool] = {}
    for found in parts:
        for name, embedded in found.fonts:
            fonts[name] = fonts.get(name, True) and embedded
    return ScreenFindings(sum(f.figures for f in parts), sum(f.without_alt for f in parts),
                          sum(f.decorative for f in parts), sum(f.untagged for f in parts), tuple(sorted(fonts.items())))


def scan_screen_pages(structure: pikepdf.Object | None, pages: list[pikepdf.Page]) -> ScreenFindings:
    """The figures of a structure tree (or of the part of one under ``structure``), and
    the images, artifacts and fonts of ``pages``."""
    figures = [e for e in structure_elements(structure) if e.get("/S") == Name.Figure]
    without_alt = sum(1 for figure in figures if not str(figure.get("/Alt", "")).strip())
    decorative, untagged = _images_outside_figures(pages)
    return ScreenFindings(len(figures), without_alt, decorative, untagged, fonts_of(pages))


def structure_elements(element, depth: int = 0):
    if element is None or depth > 200:
        return
    kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    if isinstance(element, pikepdf.Dictionary) and "/S" in element:
        yield element
    if isinstance(kids, pikepdf.Array):
        for kid in kids:
            yield from structure_elements(kid, depth + 1)
    elif isinstance(kids, pikepdf.Dictionary):
        yield from structure_elements(kids, depth + 1)


def _images_outside_figures(pages: list[pikepdf.Page]) -> tuple[int, int]:
    """Images drawn as artifacts (decorative: no alt text, README "Choices where the contract
    is silent"), and images drawn in no marked content at all, which a screen reader cannot
    place. Only pages that hold an image are read."""
    decorative = untagged = 0
    for page in pages:
        xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
        images = {name for name in xobjects.keys() if xobjects[name].get("/Subtype") == Name.Image}
        if not images:
            continue
        marks: list[str] = []
        for operands, operator in pikepdf.parse_content_stream(page, "BDC BMC EMC Do"):
            if str(operator) in ("BDC", "BMC"):
                marks.append(str(operands[0]))
            elif str(operator) == "EMC" and marks:
                marks.pop()
            elif str(operator) == "Do" and str(operands[0]) in images:
                decorative += bool(marks) and marks[-1] == "/Artifact"
                untagged += not marks
    return decorative, untagged
