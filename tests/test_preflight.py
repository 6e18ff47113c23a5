"""The preflight refuses a print edition that breaks a PDF/X-1a rule or a printer's.

Each test takes the good print edition of tests/books/refs, breaks one rule with
pikepdf (or by editing its bytes), and expects the preflight to name that rule; the
unbroken file passes every check.
"""

from __future__ import annotations

import io
import re
import zlib

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from bookbuild.model import PrintSettings
from bookbuild.preflight import preflight_print

SETTINGS = PrintSettings("5in", "8in", "0.125in", "crop", "generic")
INSIDE_MARGIN = 0.625


def preflight(data: bytes, settings: PrintSettings = SETTINGS, inside_margin: float = INSIDE_MARGIN):
    return preflight_print(data, settings, inside_margin, "broken-print.pdf")


def edited(data: bytes, change, **save) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, **({"force_version": pdf.pdf_version} | save))
        return out.getvalue()


def add_content(pdf: pikepdf.Pdf, operators: bytes, page: int = 2) -> None:
    pdf.pages[page].contents_add(pikepdf.Stream(pdf, b"q " + operators + b" Q\n"))


def add_resource(pdf: pikepdf.Pdf, kind: str, name: str, value, page: int = 2) -> None:
    resources = pdf.pages[page].obj.Resources
    if kind not in resources:
        resources[kind] = Dictionary()
    resources[kind][name] = value


def image(pdf: pikepdf.Pdf, space, components: int, fill: int = 128, **extra) -> pikepdf.Stream:
    return pikepdf.Stream(pdf, zlib.compress(bytes([fill]) * 4 * 4 * components), Type=Name.XObject,
                          Subtype=Name.Image, Width=4, Height=4, ColorSpace=space, BitsPerComponent=8,
                          Filter=Name.FlateDecode, **extra)


def draw_image(pdf: pikepdf.Pdf, xobject) -> None:
    add_resource(pdf, "/XObject", "/Broken", xobject)
    add_content(pdf, b"20 0 0 20 100 100 cm /Broken Do")


def rgb_shading(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    return pdf.make_indirect(Dictionary(ShadingType=2, ColorSpace=Name.DeviceRGB, Coords=[0, 0, 100, 0], Function=Dictionary(
        FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1)))


def form(pdf: pikepdf.Pdf, content: bytes, **extra) -> pikepdf.Stream:
    return pikepdf.Stream(pdf, content, Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 100, 100],
                          Resources=Dictionary(), **extra)


def remove_id(data: bytes) -> bytes:
    """The trailer without its /ID (qpdf always writes one): blanked in place, so offsets hold."""
    return re.sub(rb"/ID \[<[0-9a-f]+><[0-9a-f]+>\]", lambda m: b" " * len(m.group(0)), data)


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def without_font_program(pdf: pikepdf.Pdf) -> None:
    font = next(iter(pdf.pages[2].obj.Resources.Font.values()))
    del font.DescendantFonts[0].FontDescriptor["/FontFile2"]


BREAKAGES = {
    # the document
    "PDF/X version": (lambda pdf: pdf.docinfo.__setitem__("/GTS_PDFXVersion", "PDF/X-3:2002"), "GTS_PDFXVersion is PDF/X-3:2002"),
    "Trapped missing": (lambda pdf: pdf.docinfo.__delitem__("/Trapped"), "Trapped is missing"),
    "Trapped unknown": (lambda pdf: pdf.docinfo.__setitem__("/Trapped", Name.Unknown), "Trapped is /Unknown"),
    "no title": (lambda pdf: pdf.docinfo.__delitem__("/Title"), "lacks Title"),
    "no modification date": (lambda pdf: pdf.docinfo.__delitem__("/ModDate"), "lacks ModDate"),
    "no output intent": (lambda pdf: pdf.Root.__delitem__("/OutputIntents"), "0 PDF/X output intents"),
    "two output intents": (lambda pdf: pdf.Root.OutputIntents.append(pdf.Root.OutputIntents[0]), "2 PDF/X output intents"),
    "intent without condition": (lambda pdf: pdf.Root.OutputIntents[0].__delitem__("/OutputConditionIdentifier"),
                                 "names no printing condition"),
    "intent without registry or profile": (lambda pdf: pdf.Root.OutputIntents[0].__delitem__("/RegistryName"),
                                           "has no profile and names no registry"),
    "RGB output profile": (lambda pdf: pdf.Root.OutputIntents[0].__setitem__("/DestOutputProfile", pdf.make_stream(
        srgb_profile(), N=3)), "PDF/X-1a wants a CMYK output (prtr) profile"),
    "odd page count": (lambda pdf: pdf.pages.__delitem__(len(pdf.pages) - 1), "an even number of pages"),
    "no trim box": (lambda pdf: pdf.pages[3].obj.__delitem__("/TrimBox"), "boxes missing or not nested on pages 4"),
    "trim box outside the bleed": (lambda pdf: pdf.pages[3].obj.__setitem__("/TrimBox", Array([-20, 0, 360, 576])),
                                   "not nested on pages 4"),
    "art box beside the trim box": (lambda pdf: pdf.pages[3].obj.__setitem__("/ArtBox", Array([0, 0, 360, 576])),
                                    "not nested on pages 4"),
    "wrong bleed": (lambda pdf: pdf.pages[3].obj.__setitem__("/BleedBox", Array([-3, -3, 363, 579])), "bleed box wrong on pages 4"),
    "font not embedded": (without_font_program, "fonts not embedded"),
    # colour and ink
    "RGB fill": (lambda pdf: add_content(pdf, b"1 0 0 rg 10 10 50 50 re f"), "rg operators"),
    "RGB colour space": (lambda pdf: add_content(pdf, b"/DeviceRGB cs 1 0 0 sc 10 10 50 50 re f"), "RGB colour space"),
    "Lab colour space": (lambda pdf: (add_resource(pdf, "/ColorSpace", "/L", Array([Name.Lab, Dictionary(WhitePoint=[0.9505, 1, 1.089])])),
                                      add_content(pdf, b"/L cs 50 10 10 sc 10 10 50 50 re f")), "Lab colour space"),
    "RGB image": (lambda pdf: draw_image(pdf, image(pdf, Name.DeviceRGB, 3)), "RGB image"),
    "RGB shading": (lambda pdf: (add_resource(pdf, "/Shading", "/Sh", rgb_shading(pdf)), add_content(pdf, b"/Sh sh")), "RGB shading"),
    "RGB shading pattern": (lambda pdf: add_resource(pdf, "/Pattern", "/P", pdf.make_indirect(Dictionary(
        PatternType=2, Shading=rgb_shading(pdf)))), "RGB shading"),
    "RGB in a tiling pattern": (lambda pdf: add_resource(pdf, "/Pattern", "/P", pikepdf.Stream(
        pdf, b"0 1 0 rg 0 0 5 5 re f", PatternType=1, PaintType=1, TilingType=1, BBox=[0, 0, 5, 5], XStep=5, YStep=5,
        Resources=Dictionary())), "rg operators"),
    "RGB in a form": (lambda pdf: draw_image(pdf, form(pdf, b"0 0 1 rg 0 0 5 5 re f")), "rg operators"),
    "too much ink": (lambda pdf: add_content(pdf, b"0.9 0.9 0.9 0.9 k 10 10 50 50 re f"), "ink: 360%"),
    "too much ink in an image": (lambda pdf: draw_image(pdf, image(pdf, Name.DeviceCMYK, 4, fill=235)), "ink: 369%"),
    # transparency
    "constant alpha": (lambda pdf: (add_resource(pdf, "/ExtGState", "/GA", Dictionary(ca=0.6)), add_content(pdf, b"/GA gs")),
                       "opacity below 1"),
    "soft mask": (lambda pdf: add_resource(pdf, "/ExtGState", "/GS", Dictionary(SMask=Dictionary(S=Name.Luminosity, G=form(pdf, b"")))),
                  "soft mask"),
    "blend mode": (lambda pdf: add_resource(pdf, "/ExtGState", "/GB", Dictionary(BM=Name.Multiply)), "blend mode"),
    "image with alpha": (lambda pdf: draw_image(pdf, image(pdf, Name.DeviceCMYK, 4, SMask=image(pdf, Name.DeviceGray, 1))),
                         "image with alpha"),
    "page transparency group": (lambda pdf: pdf.pages[2].obj.__setitem__("/Group", Dictionary(S=Name.Transparency)),
                                "page transparency group"),
    "form transparency group": (lambda pdf: draw_image(pdf, form(pdf, b"", Group=Dictionary(S=Name.Transparency))),
                                "transparency group"),
    # other things PDF/X forbids
    "transfer curve": (lambda pdf: add_resource(pdf, "/ExtGState", "/GT", Dictionary(TR=Name.Identity)), "transfer curve"),
    "halftone": (lambda pdf: add_resource(pdf, "/ExtGState", "/GH", Dictionary(HT=Dictionary(HalftoneType=1, Frequency=60, Angle=45,
                                                                                                 SpotFunction=Name.Round))), "halftone"),
    "PostScript XObject": (lambda pdf: draw_image(pdf, pikepdf.Stream(pdf, b"", Type=Name.XObject, Subtype=Name.PS)), "PostScript"),
    "external content": (lambda pdf: draw_image(pdf, form(pdf, b"", Ref=Dictionary(F=String("other.pdf"), Page=0))), "external content"),
    "link annotation": (lambda pdf: pdf.pages[2].obj.__setitem__("/Annots", Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[10, 10, 50, 50], F=4))])), "1 annotations inside the bleed box"),
    "open action": (lambda pdf: pdf.Root.__setitem__("/OpenAction", Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))),
                    "an open action"),
    "JavaScript": (lambda pdf: pdf.Root.__setitem__("/Names", Dictionary(JavaScript=Dictionary(Names=Array()))), "JavaScript"),
    "page additional action": (lambda pdf: pdf.pages[0].obj.__setitem__("/AA", Dictionary()), "additional actions"),
    "embedded file": (lambda pdf: pdf.Root.__setitem__("/Names", Dictionary(EmbeddedFiles=Dictionary(Names=Array()))), "embedded files"),
}


@pytest.fixture(scope="module")
def good(refs) -> bytes:
    return refs.print_pdf.read_bytes()


def test_the_print_edition_passes_every_check(good):
    report = preflight(good)
    assert report.errors == []
    assert len([line for line in report.lines if line.startswith("ok")]) >= 20


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_rule_is_reported(good, breakage):
    change, expected = BREAKAGES[breakage]
    report = preflight(edited(good, change))
    assert any(expected in error for error in report.errors), (expected, report.errors)


def test_a_pdf_version_past_pdf_x_1a_is_reported(good):
    report = preflight(edited(good, lambda pdf: None, force_version="1.6"))
    assert any("PDF version 1.6" in error for error in report.errors), report.errors


def test_a_missing_file_identifier_is_reported(good):
    report = preflight(remove_id(good))
    assert any("no /ID" in error for error in report.errors), report.errors


def test_an_encrypted_file_is_reported(good):
    report = preflight(edited(good, lambda pdf: None, encryption=pikepdf.Encryption(owner="o", user="", R=3, metadata=False, aes=False)))
    assert any("encrypted" in error for error in report.errors), report.errors


def test_ingramspark_wants_pdf_x_1a_2001_and_less_ink(good):
    """The generic edition (PDF/X-1a:2003, up to 300% ink) is not one IngramSpark takes."""
    settings = PrintSettings("5in", "8in", "0.125in", "crop", "ingramspark")
    heavy = edited(good, lambda pdf: add_content(pdf, b"0.7 0.6 0.6 0.7 k 10 10 50 50 re f"))  # 260%
    errors = " | ".join(preflight(heavy, settings).errors)
    assert "not PDF/X-1a:2001" in errors and "ink: 260%" in errors and "ingramspark takes at most 240%" in errors


def test_kdp_page_limit_and_bookmarks(good):
    def long(pdf: pikepdf.Pdf) -> None:
        while len(pdf.pages) < 830:
            pdf.pages.append(pdf.pages[2])

    settings = PrintSettings("5in", "8in", "0.125in", "crop", "kdp")
    errors = " | ".join(preflight(edited(good, long), settings).errors)
    assert "830 pages: kdp prints at most 828" in errors
    assert "kdp wants no bookmarks" in errors


def test_an_inside_margin_under_the_gutter_for_the_page_count(good):
    errors = preflight(good, inside_margin=0.3).errors
    assert any("inside margin 0.3in is under the 0.375in" in error for error in errors), errors


def test_marks_where_the_target_wants_none(good):
    settings = PrintSettings("5in", "8in", "0.125in", "none", "generic")
    assert any("the PDF has marks" in error for error in preflight(good, settings).errors)
