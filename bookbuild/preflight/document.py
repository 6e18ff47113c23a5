"""The document-level rules of PDF/X-1a: version and keys, the output intent, and what a
document may not run or carry. Each reads the catalog, the trailer or the document
information: a whole file's, in moments."""

from __future__ import annotations

import re

import pikepdf
from pikepdf import Name

from ..model import Report

_PDF_VERSIONS = {"PDF/X-1a:2001": ("1.3",), "PDF/X-1a:2003": ("1.3", "1.4")}
_PDF_DATE = re.compile(r"^D:\d{4}")


def check_pdfx_document(pdf: pikepdf.Pdf, version: str, report: Report) -> None:
    """Version, PDF/X keys, Trapped, title and dates, a file identifier, no encryption."""
    info = pdf.docinfo
    declared = str(info.get("/GTS_PDFXVersion", ""))
    conformance = str(info.get("/GTS_PDFXConformance", ""))
    report.check(declared == version and (version != "PDF/X-1a:2001" or conformance == version),
                 f"{version} declared", f"GTS_PDFXVersion is {declared or 'missing'}, not {version}"
                 + ("" if version != "PDF/X-1a:2001" or conformance == version else " (or GTS_PDFXConformance is wrong)"))
    allowed = _PDF_VERSIONS.get(version, ("1.3", "1.4"))
    report.check(pdf.pdf_version in allowed, f"PDF version {pdf.pdf_version}",
                 f"PDF version {pdf.pdf_version}: {version} is PDF {' or '.join(allowed)}")
    trapped = info.get("/Trapped")
    report.check(trapped in (Name("/True"), Name("/False")), f"Trapped {trapped}",
                 f"Trapped is {trapped if trapped is not None else 'missing'}: PDF/X wants True or False")
    missing = [key[1:] for key in ("/Title", "/CreationDate", "/ModDate") if not str(info.get(key, "")).strip()]
    dates_ok = all(_PDF_DATE.match(str(info.get(key, ""))) for key in ("/CreationDate", "/ModDate"))
    report.check(not missing and dates_ok, "title and dates",
                 f"document information lacks {', '.join(missing)}" if missing else "dates are not PDF dates (D:YYYY...)")
    report.check("/ID" in pdf.trailer and len(pdf.trailer.ID) == 2, "file identifier", "the trailer has no /ID")
    report.check(not pdf.is_encrypted, "not encrypted", "the file is encrypted")


def check_output_intent(pdf: pikepdf.Pdf, report: Report) -> None:
    """One PDF/X output intent, naming its printing condition, with a CMYK output profile
    unless the condition is a registered one."""
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == Name.GTS_PDFX]
    if len(intents) != 1:
        report.check(False, "output intent", f"{len(intents)} PDF/X output intents: PDF/X wants exactly one")
        return
    intent = intents[0]
    identifier = str(intent.get("/OutputConditionIdentifier", ""))
    problem = ""
    if not identifier:
        problem = "the output intent names no printing condition (OutputConditionIdentifier)"
    elif "/DestOutputProfile" in intent:
        header = intent.DestOutputProfile.read_bytes()[:40]
        if header[36:40] != b"acsp":
            problem = "the output intent's profile is not an ICC profile"
        elif header[16:20] != b"CMYK" or header[12:16] != b"prtr":
            problem = (f"the output intent's profile is a {header[12:16].decode('latin-1')} profile in "
                       f"{header[16:20].decode('latin-1').strip()}: PDF/X-1a wants a CMYK output (prtr) profile")
    elif not str(intent.get("/RegistryName", "")).strip():
        problem = "the output intent has no profile and names no registry for its condition"
    report.check(not problem, f"output intent: {identifier}", problem)


def document_actions(pdf: pikepdf.Pdf) -> set[str]:
    """What the catalog would run, open or carry: an open action, additional actions,
    JavaScript, embedded files."""
    root = pdf.Root
    found = set()
    if "/OpenAction" in root:
        found.add("an open action")
    if "/AA" in root:
        found.add("additional actions")
    names = root.get("/Names", {})
    if "/JavaScript" in names:
        found.add("JavaScript")
    if "/EmbeddedFiles" in names or "/AF" in root:
        found.add("embedded files")
    return found


def check_actions_and_files(found: set[str], report: Report) -> None:
    """Nothing that runs, opens or embeds, in the document or on its pages."""
    report.check(not found, "no actions, scripts or files", "not allowed in PDF/X: " + ", ".join(sorted(found)))
