"""bookbuild.preflight in-process: the report a printer reads, line for line, and each rule
broken on purpose in a real print edition (cut to six pages, so that each check takes
milliseconds: tests/unit/inputs.py), as tests/test_preflight.py breaks them. The preflight
is the module under test, so the inputs are PDFs broken on purpose, never the product
judging itself."""

from __future__ import annotations

import dataclasses
import io

import pikepdf
import pytest
from inputs import edition
from pikepdf import Array, Dictionary, Name, String
from test_preflight import BREAKAGES, add_content, add_resource, draw_image, edited, form, image, remove_id, rgb_shading

from bookbuild.model import PrintSettings
from bookbuild.preflight import preflight_print, preflight_screen

SETTINGS = PrintSettings("5in", "8in", "0.125in", "crop", "generic")
KEPT_PAGES = (0, 1, 2, 3, 11, 12)  # the front matter, and a chapter's page with its picture


def cut(data: bytes, keep) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number in reversed(range(len(pdf.pages))):
            if number not in keep:
                del pdf.pages[number]
        out = io.BytesIO()
        pdf.save(out, force_version=pdf.pdf_version)
        return out.getvalue()


@pytest.fixture(scope="module")
def good() -> bytes:
    return cut(edition("print"), KEPT_PAGES)


def preflight(data: bytes, settings: PrintSettings = SETTINGS, inside: float = 0.625):
    return preflight_print(data, settings, inside, "book-print.pdf")


def errors(data: bytes, settings: PrintSettings = SETTINGS, inside: float = 0.625) -> str:
    return " | ".join(preflight(data, settings, inside).errors)


def test_the_report_of_a_good_print_edition(good):
    report = preflight(good)
    assert report.edition == "book-print.pdf"
    assert report.lines == [
        "     target generic, 6 pages, PDF 1.4, PDF/X-1a:2003",
        "ok   PDF/X-1a:2003 declared",
        "ok   PDF version 1.4",
        "ok   Trapped /False",
        "ok   title and dates",
        "ok   file identifier",
        "ok   not encrypted",
        "ok   output intent: CGATS TR 001",
        "ok   even page count (6)",
        "ok   boxes: trim inside bleed inside media on every page",
        "ok   trim box 5in x 8in on every page",
        "ok   bleed 0.125in on all sides",
        "ok   crop marks outside the bleed",
        "ok   inside margin 0.625in (at least 0.375in for 6 pages)",
        "ok   4 fonts, all embedded",
        "ok   colour: CMYK and grey only",
        "ok   ink: at most 197% (the limit is 300%)",
        "ok   no transparency",
        "ok   no transfer curves, halftones, PostScript or external content",
        "ok   no annotations on the printed area",
        "ok   no actions, scripts or files",
        "ok   1 images, lowest 424 ppi at placed size",
        "ok   every image inside the trim",
    ]
    assert report.errors == [] and report.warnings == []


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_rule_is_reported(good, breakage):
    change, expected = BREAKAGES[breakage]
    report = preflight(edited(good, change))
    assert any(expected in error for error in report.errors), (expected, report.errors)
    assert any(line.startswith("FAIL") for line in report.lines)


@pytest.mark.parametrize("change, expected", [
    (lambda pdf: pdf.docinfo.__delitem__("/GTS_PDFXVersion"), "GTS_PDFXVersion is missing, not PDF/X-1a:2003"),
    (lambda pdf: pdf.docinfo.__setitem__("/Trapped", Name("/True")), None),
    (lambda pdf: pdf.docinfo.__setitem__("/ModDate", String("2026-01-02")), "dates are not PDF dates (D:YYYY...)"),
    (lambda pdf: pdf.docinfo.__setitem__("/CreationDate", String("D:2026")), None),
    (lambda pdf: pdf.docinfo.__setitem__("/Title", String("  ")), "document information lacks Title"),
    (lambda pdf: [pdf.docinfo.__delitem__(k) for k in ("/Title", "/CreationDate")],
     "document information lacks Title, CreationDate"),
    (lambda pdf: pdf.Root.OutputIntents[0].__setitem__("/S", Name.GTS_PDFA1), "0 PDF/X output intents: PDF/X wants exactly one"),
    (lambda pdf: pdf.Root.OutputIntents[0].__setitem__("/DestOutputProfile", pdf.make_stream(b"\0" * 128)),
     "the output intent's profile is not an ICC profile"),
    (lambda pdf: pdf.Root.OutputIntents[0].__setitem__("/RegistryName", String(" ")),
     "the output intent has no profile and names no registry for its condition"),
])
def test_each_document_rule_says_what_is_wrong(good, change, expected):
    report = preflight(edited(good, change))
    if expected is None:
        assert report.errors == []
    else:
        assert expected in report.errors, report.errors


def cmyk_profile_header(device_class: bytes, space: bytes) -> bytes:
    header = bytearray(128)
    header[12:16], header[16:20], header[36:40] = device_class, space, b"acsp"
    return bytes(header)


def test_an_embedded_output_profile_must_be_a_cmyk_printer_profile(good):
    def with_profile(header):
        return lambda pdf: pdf.Root.OutputIntents[0].__setitem__("/DestOutputProfile", pdf.make_stream(header))

    assert errors(edited(good, with_profile(cmyk_profile_header(b"prtr", b"CMYK")))) == ""
    assert errors(edited(good, with_profile(cmyk_profile_header(b"mntr", b"CMYK")))) == (
        "the output intent's profile is a mntr profile in CMYK: PDF/X-1a wants a CMYK output (prtr) profile")


def test_the_gutter_and_the_page_count(good):
    assert errors(good, inside=0.374) == "inside margin 0.374in is under the 0.375in a 6-page book needs"
    assert errors(good, inside=0.375) == ""
    odd = edited(good, lambda pdf: pdf.pages.__delitem__(5))
    assert errors(odd) == "5 pages: a printed book has an even number of pages (add a blank page at the end)"
    assert "FAIL even page count (5)" in preflight(odd).lines


def test_a_trim_box_of_another_size(good):
    settings = dataclasses.replace(SETTINGS, trim_width="6in")
    report = preflight(good, settings)
    assert report.errors == ["trim box is not 6in x 8in on every page"]
    assert "FAIL trim box 5in x 8in on every page" in report.lines
    mixed = edited(good, lambda pdf: pdf.pages[1].obj.__setitem__("/TrimBox", Array([0, 0, 360, 575])))
    assert "trim box is not 5in x 8in on every page" in errors(mixed)
    for width, height in (("127mm", "203.2mm"), ("12.7cm", "20.32cm"), ("360pt", "576pt"), ("480px", "768px"), ("360", "576")):
        assert errors(good, dataclasses.replace(SETTINGS, trim_width=width, trim_height=height)) == "", width


def test_bleed_on_the_outside_edges_only_for_print_on_demand(good):
    def outside_only(pdf):
        for index, page in enumerate(pdf.pages):
            page.obj.BleedBox = Array([0, -9, 369, 585] if index % 2 == 0 else [-9, -9, 360, 585])
            page.obj.MediaBox = page.obj.BleedBox

    pod = edited(good, outside_only)
    settings = PrintSettings("5in", "8in", "0.125in", "none", "ingramspark")
    report = preflight(pod, settings)
    assert "ok   bleed 0.125in on top, bottom and outside edge" in report.lines
    assert "ok   no printer marks" in report.lines
    assert not any("bleed" in e for e in report.errors)
    assert "bleed box wrong on pages 1, 2, 3, 4, 5..." in errors(good, settings)  # all sides is not what it wants
    assert "bleed box wrong on pages" in errors(pod)  # nor the other way round
    no_bleed = edited(good, lambda pdf: [page.obj.__setitem__("/BleedBox", page.obj.TrimBox) for page in pdf.pages])
    assert "bleed box wrong" not in errors(no_bleed, dataclasses.replace(SETTINGS, bleed="0"))


def test_marks_are_reported_when_the_target_wants_none(good):
    report = preflight(good, dataclasses.replace(SETTINGS, marks="none"))
    assert report.errors == ["the PDF has marks, but the target wants none"]
    assert "FAIL no printer marks" in report.lines
    assert "ok   cross marks outside the bleed" in preflight(good, dataclasses.replace(SETTINGS, marks="cross")).lines


def test_ingramspark_and_kdp(good):
    ingram = PrintSettings("5in", "8in", "0.125in", "crop", "ingramspark")
    report = preflight(good, ingram)
    assert report.lines[0] == "     target ingramspark, 6 pages, PDF 1.4, PDF/X-1a:2003"
    assert "GTS_PDFXVersion is PDF/X-1a:2003, not PDF/X-1a:2001 (or GTS_PDFXConformance is wrong)" in report.errors
    assert "ok   ink: at most 197% (the limit is 240%)" in report.lines
    heavy = edited(good, lambda pdf: add_content(pdf, b"0.7 0.6 0.6 0.5 k 10 10 50 50 re f", page=1))  # 240%
    assert "ink: 240%" not in errors(heavy, ingram)
    heavier = edited(good, lambda pdf: add_content(pdf, b"0.7 0.6 0.6 0.51 k 10 10 50 50 re f", page=1))  # 241%
    assert "ink: 241% somewhere on page 2; ingramspark takes at most 240%" in errors(heavier, ingram)
    declared = edited(good, lambda pdf: (pdf.docinfo.__setitem__("/GTS_PDFXVersion", "PDF/X-1a:2001"),
                                         pdf.docinfo.__setitem__("/GTS_PDFXConformance", "PDF/X-1a:2001")),
                      force_version="1.3")
    assert not any("PDF/X" in e or "PDF version" in e for e in preflight(declared, ingram).errors)
    wrong_conformance = edited(good, lambda pdf: pdf.docinfo.__setitem__("/GTS_PDFXVersion", "PDF/X-1a:2001"),
                               force_version="1.3")
    assert ("GTS_PDFXVersion is PDF/X-1a:2001, not PDF/X-1a:2001 (or GTS_PDFXConformance is wrong)"
            in preflight(wrong_conformance, ingram).errors)
    assert "PDF version 1.4: PDF/X-1a:2001 is PDF 1.3" in errors(good, ingram)
    kdp = preflight(good, PrintSettings("5in", "8in", "0.125in", "crop", "kdp"))
    assert "ok   page count 6 (at most 828)" in kdp.lines and "kdp wants no bookmarks" in kdp.errors
    assert "FAIL no bookmarks" in kdp.lines
    unmarked = edited(good, lambda pdf: pdf.Root.__delitem__("/Outlines"))
    assert "ok   no bookmarks" in preflight(unmarked, PrintSettings("5in", "8in", "0.125in", "crop", "kdp")).lines


def test_ink_is_the_most_any_colour_lays_down_marks_aside(good):
    heavy = edited(good, lambda pdf: add_content(pdf, b"0.75 0.75 0.75 0.5 k 10 10 50 50 re f", page=3))
    assert "ink: 275% somewhere" not in errors(heavy)
    over = edited(good, lambda pdf: add_content(pdf, b"0.8 .8 0.8 +0.8 K 10 10 50 50 re S", page=3))
    assert "ink: 320% somewhere on page 4; generic takes at most 300%" in errors(over)
    registration = edited(good, lambda pdf: add_content(pdf, b"1 1 1 1 k 10 10 50 50 re f", page=3))
    assert errors(registration) == ""  # every ink in full is the printer's marks
    parsed = edited(good, lambda pdf: add_content(pdf, b"BT (x) Tj ET 0.9 0.9 0.9 0.9 k 1 1 5 5 re f", page=3))
    assert "ink: 360% somewhere on page 4" in errors(parsed)


@pytest.mark.parametrize("content, resource, expected", [
    (b"/CS0 cs 1 sc", ("/ColorSpace", "/CS0", Array([Name.ICCBased, "rgb"])), "RGB colour space"),
    (b"/CS0 CS 1 SC", ("/ColorSpace", "/CS0", Array([Name.Separation, Name.Spot, Name.DeviceRGB, "f"])),
     "Separation colour space"),
    (b"/CS0 cs 1 sc", ("/ColorSpace", "/CS0", Array([Name.Indexed, Name.DeviceRGB, 1, String("ab")])),
     "Indexed colour space"),
    (b"/CS0 cs /P0 scn", ("/ColorSpace", "/CS0", Array([Name.Pattern, Name.DeviceRGB])), "Pattern colour space"),
    (b"/DeviceN cs", None, "DeviceN colour space"),
    (b"BT (x) Tj ET 0 0 1 RG", None, "RG operators"),
    (b"BT (x) Tj ET /DeviceRGB CS", None, "RGB colour space"),
])
def test_colour_spaces_other_than_process_ones_are_reported(good, content, resource, expected):
    def change(pdf):
        if resource:
            kind, name, value = resource
            if isinstance(value, Array) and len(value) > 1 and value[1] == "rgb":
                value = Array([Name.ICCBased, pdf.make_stream(b"\0", N=3)])
            add_resource(pdf, kind, name, value, page=3)
        add_content(pdf, content, page=3)

    assert f"colour other than CMYK and grey in the print edition ({expected})" in errors(edited(good, change))


@pytest.mark.parametrize("space", [
    Name.DeviceCMYK, Name.DeviceGray, Array([Name.Separation, Name.Black, Name.DeviceCMYK, Dictionary()]),
    Array([Name.DeviceN, Array([Name.Cyan]), Name.DeviceGray, Dictionary()]),
    Array([Name.Indexed, Name.DeviceCMYK, 0, String("abcd")]), Array([Name.Pattern]), Array([Name.Pattern, Name.DeviceGray]),
])
def test_process_colour_spaces_pass(good, space):
    def change(pdf):
        add_resource(pdf, "/ColorSpace", "/CS0", space, page=3)
        add_content(pdf, b"/CS0 cs", page=3)

    assert errors(edited(good, change)) == ""


def test_images_colour_alpha_and_resolution(good):
    gray = edited(good, lambda pdf: draw_image(pdf, image(pdf, Name.DeviceGray, 1)))  # 4 pixels on 20pt: 14 ppi
    report = preflight(gray)
    assert report.errors == []
    assert "warn 2 images, lowest 14 ppi at placed size" in report.lines
    assert report.warnings == ["image on page 3 prints at 14 ppi (4 pixels across 0.28in): printers want 300; "
                               "the file needs at least 84 pixels across"]
    mask = edited(good, lambda pdf: draw_image(pdf, pikepdf.Stream(pdf, b"\0\0\0\0", Type=Name.XObject, Subtype=Name.Image,
                                                                   Width=4, Height=4, ImageMask=True, BitsPerComponent=1,
                                                                   ColorSpace=Name.DeviceRGB)))
    assert "colour other" not in errors(mask)  # a mask paints in the current colour, not its own
    alpha = edited(good, lambda pdf: draw_image(pdf, image(pdf, Name.DeviceCMYK, 4, SMaskInData=1)))
    assert "transparency in the print edition: image with alpha" in errors(alpha)
    no_alpha = edited(good, lambda pdf: draw_image(pdf, image(pdf, Name.DeviceCMYK, 4, SMaskInData=0)))
    assert errors(no_alpha) == ""
    opi = edited(good, lambda pdf: draw_image(pdf, image(pdf, Name.DeviceCMYK, 4, OPI=Dictionary())))
    assert "not allowed in PDF/X: PostScript, OPI or external content" in errors(opi)
    sheared = edited(good, lambda pdf: (add_resource(pdf, "/XObject", "/Im9", image(pdf, Name.DeviceGray, 1)),
                                        add_content(pdf, b"2 0 0 2 0 0 cm q 0 30 -30 0 100 100 cm /Im9 Do Q")))
    assert "warn 2 images, lowest 5 ppi at placed size" in preflight(sheared).lines  # 4 pixels on 60pt, turned


def test_an_image_placed_in_a_form_is_measured_at_its_placed_size(good):
    def change(pdf):
        picture = image(pdf, Name.DeviceGray, 1)
        drawing = form(pdf, b"10 0 0 10 0 0 cm /Im0 Do", Matrix=[2, 0, 0, 2, 0, 0])
        drawing.Resources = Dictionary(XObject=Dictionary(Im0=picture))
        draw_image(pdf, drawing)  # placed at 20x its form's 10pt: 200pt wide

    assert "warn 2 images, lowest 1 ppi at placed size" in preflight(edited(good, change)).lines


def test_rgb_inline_images_and_inline_cmyk(good):
    rgb = edited(good, lambda pdf: add_content(pdf, b"BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI", page=3))
    assert "(RGB inline image)" in errors(rgb)
    cmyk = edited(good, lambda pdf: add_content(pdf, b"BI /W 1 /H 1 /CS /CMYK /BPC 8 ID \0\0\0\xff EI", page=3))
    assert errors(cmyk) == ""


def test_annotations_outside_the_bleed_and_printers_marks_are_allowed(good):
    def annotate(subtype, rect):
        return lambda pdf: pdf.pages[2].obj.__setitem__("/Annots", Array([pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=subtype, Rect=rect))]))

    assert errors(edited(good, annotate(Name.Link, [-30, -30, -20, -20]))) == ""
    assert errors(edited(good, annotate(Name.Link, [400, 10, 410, 20]))) == ""
    assert errors(edited(good, annotate(Name.PrinterMark, [10, 10, 20, 20]))) == ""
    assert errors(edited(good, annotate(Name.TrapNet, [10, 10, 20, 20]))) == ""
    assert errors(edited(good, annotate(Name.Link, [-20, -20, -8, -8]))) == (
        "1 annotations inside the bleed box (pages 3): PDF/X allows none")
    for rect in ([368, 10, 380, 20], [10, 584, 20, 590], [10, -20, 20, -8.5]):
        assert "annotations inside the bleed box" in errors(edited(good, annotate(Name.Link, rect))), rect


@pytest.mark.parametrize("action, expected", [
    (Dictionary(S=Name.JavaScript, JS=String("x")), "a JavaScript action"),
    (Dictionary(S=Name.Launch, F=String("x")), "a Launch action"),
    (Dictionary(S=Name.ImportData), "a ImportData action"),
    (Dictionary(S=Name.SubmitForm), "a SubmitForm action"),
])
def test_actions_that_run_or_send_are_reported(good, action, expected):
    change = lambda pdf: pdf.pages[2].obj.__setitem__("/Annots", Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[-30, -30, -20, -20], A=action))]))
    assert errors(edited(good, change)) == f"not allowed in PDF/X: {expected}"


def test_files_and_document_actions_are_reported(good):
    attachment = lambda pdf: pdf.pages[2].obj.__setitem__("/Annots", Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[-30, -30, -20, -20], FS=String("x.txt")))]))
    assert errors(edited(good, attachment)) == "not allowed in PDF/X: a file attachment"
    related = edited(good, lambda pdf: pdf.Root.__setitem__("/AF", Array()))
    assert errors(related) == "not allowed in PDF/X: embedded files"
    everything = edited(good, lambda pdf: (pdf.Root.__setitem__("/AA", Dictionary()),
                                           pdf.Root.__setitem__("/OpenAction", Array()),
                                           pdf.Root.__setitem__("/Names", Dictionary(JavaScript=Dictionary()))))
    assert errors(everything) == "not allowed in PDF/X: JavaScript, additional actions, an open action"


def test_transparency_in_graphics_states_and_patterns(good):
    stroke = edited(good, lambda pdf: add_resource(pdf, "/ExtGState", "/G", Dictionary(CA=0.5), page=3))
    assert errors(stroke) == "transparency in the print edition: opacity below 1"
    plain = edited(good, lambda pdf: add_resource(pdf, "/ExtGState", "/G", Dictionary(
        CA=1, ca=1, SMask=Name("/None"), BM=Name.Compatible, TR=Name.Default), page=3))
    assert errors(plain) == ""
    tr2 = edited(good, lambda pdf: add_resource(pdf, "/ExtGState", "/G", Dictionary(TR2=Name.Identity), page=3))
    assert errors(tr2) == "not allowed in PDF/X: transfer curve"
    pattern_state = edited(good, lambda pdf: add_resource(pdf, "/Pattern", "/P", pdf.make_indirect(Dictionary(
        PatternType=2, Shading=Dictionary(ShadingType=2, ColorSpace=Name.DeviceCMYK), ExtGState=Dictionary(ca=0.2))), page=3))
    assert errors(pattern_state) == "transparency in the print edition: opacity below 1"
    shading_cmyk = edited(good, lambda pdf: (add_resource(pdf, "/Shading", "/S", Dictionary(
        ShadingType=2, ColorSpace=Name.DeviceCMYK), page=3), add_content(pdf, b"/S sh", page=3)))
    assert errors(shading_cmyk) == ""
    every_kind = edited(good, lambda pdf: (add_resource(pdf, "/ExtGState", "/G", Dictionary(
        ca=0.5, BM=Name.Screen, SMask=Dictionary()), page=3)))
    assert errors(every_kind) == "transparency in the print edition: blend mode, opacity below 1, soft mask"


def test_a_form_drawn_twice_and_a_form_drawing_itself_are_scanned_without_end(good):
    def change(pdf):
        drawing = form(pdf, b"0 0 1 rg /Self Do")
        drawing = pdf.make_indirect(drawing)
        drawing.Resources = Dictionary(XObject=Dictionary(Self=drawing))
        add_resource(pdf, "/XObject", "/F", drawing, page=3)
        add_content(pdf, b"/F Do /F Do /Missing Do", page=3)

    assert "(rg operators)" in errors(edited(good, change))


def test_a_form_that_places_an_image_is_parsed_in_full(good):
    def change(pdf):
        inner = form(pdf, b"1 0 0 1 0 0 cm /Im Do")
        inner.Resources = Dictionary(XObject=Dictionary(Im=image(pdf, Name.DeviceRGB, 3)))
        outer = form(pdf, b"/Inner Do")
        outer.Resources = Dictionary(XObject=Dictionary(Inner=inner))
        add_resource(pdf, "/XObject", "/Outer", outer, page=3)
        add_content(pdf, b"/Outer Do", page=3)

    assert "(RGB image)" in errors(edited(good, change))


def test_fonts_in_forms_and_type3_fonts(good):
    def type3(pdf):
        add_resource(pdf, "/Font", "/T3", Dictionary(Type=Name.Font, Subtype=Name.Type3, BaseFont=Name.Drawn), page=3)

    assert errors(edited(good, type3)) == ""
    assert "5 fonts, all embedded" in " ".join(preflight(edited(good, type3)).lines)

    def simple(pdf):
        add_resource(pdf, "/Font", "/F9", Dictionary(Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name.Loose,
                                                     FontDescriptor=Dictionary()), page=3)

    assert errors(edited(good, simple)) == "fonts not embedded: /Loose"

    def in_form(pdf):
        drawing = form(pdf, b"")
        drawing.Resources = Dictionary(Font=Dictionary(F=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)))
        add_resource(pdf, "/XObject", "/F", drawing, page=3)

    assert errors(edited(good, in_form)) == "fonts not embedded: /Helvetica"


def test_many_pages_are_named_five_at_most(good):
    def no_trim(pdf):
        for page in pdf.pages:
            del page.obj["/TrimBox"]

    assert "page boxes missing or not nested on pages 1, 2, 3, 4, 5..." in errors(edited(good, no_trim))
    bleed_out = edited(good, lambda pdf: pdf.pages[5].obj.__setitem__("/BleedBox", Array([-9, -9, 369, 700])))
    assert "page boxes missing or not nested on pages 6" in errors(bleed_out)


def test_an_encrypted_or_unidentified_file(good):
    assert "the trailer has no /ID" in preflight(remove_id(good)).errors


# --- the screen edition -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def screen() -> bytes:
    return edition("screen")


def test_the_report_of_a_good_screen_edition(screen):
    report = preflight_screen(screen, "book-screen.pdf")
    assert report.lines == [
        "     13 pages, PDF 1.7",  # the print edition's 17, but for the pages it leaves blank
        "ok   tagged (structure tree)",
        "ok   language en-GB",
        "ok   title shown in the window",
        "ok   2 figures with alt text, 0 decorative images (artifacts)",
        "ok   bookmarks",
        "ok   4 fonts, all embedded",
    ]
    assert report.errors == []


@pytest.mark.parametrize("change, expected", [
    (lambda pdf: pdf.Root.__delitem__("/StructTreeRoot"), "the screen edition is not tagged"),
    (lambda pdf: pdf.Root.MarkInfo.__setitem__("/Marked", False), "the screen edition is not tagged"),
    (lambda pdf: pdf.Root.__delitem__("/Lang"), "no document language"),
    (lambda pdf: pdf.Root.ViewerPreferences.__setitem__("/DisplayDocTitle", False), "DisplayDocTitle is not set"),
    (lambda pdf: pdf.Root.__delitem__("/Outlines"), "no bookmarks"),
])
def test_a_screen_edition_rule_broken_is_reported(screen, change, expected):
    assert preflight_screen(edited(screen, change), "x").errors == [expected]


def test_figures_without_alt_text_are_counted(screen):
    def strip_alt(pdf):
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == Name.Figure:
                obj.Alt = String(" ")

    report = preflight_screen(edited(screen, strip_alt), "x")
    assert report.errors == ["2 figures have no alt text"]
    assert "FAIL 2 figures with alt text, 0 decorative images (artifacts)" in report.lines


@pytest.mark.parametrize("marks, line, errors", [
    (b"/Artifact BMC %s EMC", "ok   2 figures with alt text, 1 decorative image (artifacts)", []),
    (b"%s", "FAIL 2 figures with alt text, 0 decorative images (artifacts)", ["1 images are neither figures nor artifacts"]),
])
def test_decorative_images_are_artifacts_and_an_image_in_no_marked_content_is_an_error(screen, marks, line, errors):
    def draw(pdf):
        add_resource(pdf, "/XObject", "/Plain", image(pdf, Name.DeviceGray, 1))
        add_content(pdf, marks % b"20 0 0 20 100 100 cm /Plain Do")

    report = preflight_screen(edited(screen, draw), "x")
    assert line in report.lines and report.errors == errors


# --- edges found by mutation testing -------------------------------------------------------


def test_an_even_page_count_that_is_no_multiple_of_three(good):
    four = cut(good, (0, 1, 2, 3))
    assert "ok   even page count (4)" in preflight(four).lines
    assert errors(four) == ""


def test_a_pdf_without_pdf_x_keys_says_so_in_its_first_line(good):
    report = preflight(edited(good, lambda pdf: pdf.docinfo.__delitem__("/GTS_PDFXVersion")))
    assert report.lines[0] == "     target generic, 6 pages, PDF 1.4, no PDF/X version"


def test_boxes_that_do_not_start_at_zero_are_measured_by_their_size(good):
    def shift(pdf):
        for page in pdf.pages:
            for key in ("/MediaBox", "/BleedBox", "/TrimBox"):
                page.obj[key] = Array([float(v) + (20 if n % 2 == 0 else 30) for n, v in enumerate(page.obj[key])])

    report = preflight(edited(good, shift))
    assert "ok   trim box 5in x 8in on every page" in report.lines and report.errors == []
    slightly_off = edited(good, lambda pdf: [page.obj.__setitem__("/TrimBox", Array([0, 0, 360.6, 576.6]))
                                             for page in pdf.pages])
    assert "trim box is not 5in x 8in on every page" in errors(slightly_off)
    within = edited(good, lambda pdf: [page.obj.__setitem__("/TrimBox", Array([0, 0, 360.004, 575.996]))
                                       for page in pdf.pages])
    assert "trim box" not in errors(within)


def test_the_kdp_page_limit_is_828_pages_inclusive(good):
    def pages(count):
        def grow(pdf):
            while len(pdf.pages) < count:
                pdf.pages.append(pdf.pages[2])
        return grow

    kdp = PrintSettings("5in", "8in", "0.125in", "crop", "kdp")
    at_limit = preflight(edited(good, pages(828)), kdp, inside=1.0)
    assert "ok   page count 828 (at most 828)" in at_limit.lines
    over = preflight(edited(good, pages(830)), kdp, inside=1.0)
    assert "830 pages: kdp prints at most 828; shorten the book or change print.target" in over.errors


def test_skewed_placements_are_measured_along_each_side_of_the_image(good):
    def change(pdf):
        add_resource(pdf, "/XObject", "/Im9", image(pdf, Name.DeviceGray, 1))
        # Its width runs along (1, 0), 1pt: 288 ppi; its height along (0.5, 0.1), about 0.51pt.
        add_content(pdf, b"1 0 0.5 0.1 100 100 cm /Im9 Do")

    report = preflight(edited(good, change))
    assert "warn 2 images, lowest 288 ppi at placed size" in report.lines
    assert report.warnings == ["image on page 3 prints at 288 ppi (4 pixels across 0.01in): printers want 300; "
                               "the file needs at least 5 pixels across"]


def test_matrices_are_concatenated_as_pdf_does(good):
    def change(pdf):
        picture = image(pdf, Name.DeviceGray, 1)
        drawing = form(pdf, b"0 2 -2 0 0 0 cm /Im0 Do", Matrix=[1, 1, 0, 1, 0, 0])  # turned, in a sheared form
        drawing.Resources = Dictionary(XObject=Dictionary(Im0=picture))
        pdf.pages[2].obj.Resources.XObject["/Broken"] = drawing
        add_content(pdf, b"2 0 1 2 100 100 cm /Broken Do")  # sheared too

    # [0 2 -2 0] x [1 1 0 1] x [2 0 1 2] = [2 4 -6 -4]: 4 pixels on 4.47pt (64 ppi) and on 7.21pt (40 ppi)
    assert "warn 2 images, lowest 40 ppi at placed size" in preflight(edited(good, change)).lines


def test_an_image_placed_with_no_size_is_not_measured(good):
    flat = edited(good, lambda pdf: (add_resource(pdf, "/XObject", "/Im9", image(pdf, Name.DeviceGray, 1)),
                                     add_content(pdf, b"0 0 0 20 0 0 cm /Im9 Do q 20 0 0 0 0 0 cm /Im9 Do Q")))
    assert "ok   1 images, lowest 424 ppi at placed size" in preflight(flat).lines


def test_screen_edition_keys_that_are_missing_altogether(screen):
    no_mark_info = preflight_screen(edited(screen, lambda pdf: pdf.Root.__delitem__("/MarkInfo")), "x")
    assert no_mark_info.errors == ["the screen edition is not tagged"]
    unmarked = preflight_screen(edited(screen, lambda pdf: pdf.Root.MarkInfo.__delitem__("/Marked")), "x")
    assert unmarked.errors == ["the screen edition is not tagged"]
    no_preferences = preflight_screen(edited(screen, lambda pdf: pdf.Root.__delitem__("/ViewerPreferences")), "x")
    assert no_preferences.errors == ["DisplayDocTitle is not set"]
    untitled = preflight_screen(edited(screen, lambda pdf: pdf.Root.ViewerPreferences.__delitem__("/DisplayDocTitle")), "x")
    assert untitled.errors == ["DisplayDocTitle is not set"]
    no_language = preflight_screen(edited(screen, lambda pdf: pdf.Root.__delitem__("/Lang")), "x")
    assert "FAIL language missing" in no_language.lines
    assert no_language.edition == "x"


def test_a_figure_whose_alt_text_is_missing_altogether(screen):
    def drop_alt(pdf):
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == Name.Figure and "/Alt" in obj:
                del obj["/Alt"]

    assert preflight_screen(edited(screen, drop_alt), "x").errors == ["2 figures have no alt text"]


def test_a_structure_element_held_alone_is_found(screen):
    def single_kid(pdf):
        figures = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == Name.Figure]
        wrapper = pdf.make_indirect(Dictionary(S=Name.Div, K=figures[0]))
        document = pdf.Root.StructTreeRoot.K[0]
        document.K.append(wrapper)
        figures[0].Alt = String("")

    # The figure is met twice, once under its own parent and once as the wrapper's only kid.
    assert "FAIL 3 figures with alt text, 0 decorative images (artifacts)" in preflight_screen(edited(screen, single_kid), "x").lines


def test_colour_beside_an_image_is_found_by_the_full_parse(good):
    """Content that places an image is parsed in full (for the image's resolution); its
    colour operators and shadings are found there, not by the quick scan of other content."""
    def change(pdf):
        add_resource(pdf, "/XObject", "/Im", image(pdf, Name.DeviceGray, 1), page=3)
        add_resource(pdf, "/Shading", "/S", rgb_shading(pdf), page=3)
        add_content(pdf, b"q 1 0 0 1 0 0 cm /Im Do Q 0 0 1 rg 1 0 0 RG /S sh", page=3)

    assert errors(edited(good, change)) == ("colour other than CMYK and grey in the print edition "
                                            "(RG operators, RGB shading, rg operators)")
