"""Preflight of the EPUB: the structural rules of EPUBCheck (and of Ace, for headings) that
a build could break, checked on the finished bytes before they are written, as
``preflight.py`` checks the PDFs. A failure stops the build (exit 1) and leaves the last
good editions in place; the report is printed with the PDFs'.

The rules: ``mimetype`` first and stored; the container names the package document; every
file in the manifest is in the archive;
the spine lists manifest items; every document is well-formed XHTML with unique ids;
every link, image and stylesheet inside the book leads to a file of the package, and a
fragment to an id in it; every entry of the navigation document has text; every heading
has text (or an image with alt text) and every image an ``alt`` attribute.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from urllib.parse import unquote, urlsplit

from lxml import etree

from .model import Report

_OPF = "{http://www.idpf.org/2007/opf}"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_HEADINGS = tuple(f"{_XHTML}h{level}" for level in range(1, 7))
_SHOWN = 3  # examples named in a failure


def preflight_epub(data: bytes, edition: str) -> Report:
    report = Report(edition)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        names = {entry.filename for entry in entries}
        report.lines.append(f"     {len(entries)} files")
        first = entries[0] if entries else None
        report.check(first is not None and first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
                     and archive.read("mimetype") == b"application/epub+zip",
                     "mimetype first, stored", "the archive does not start with a stored `mimetype`")
        package_path = _package_path(archive, names)
        report.check(package_path is not None, f"container names {package_path}",
                     "META-INF/container.xml names no package document in the archive")
        if package_path is None:
            return report
        package = etree.fromstring(archive.read(package_path))
        folder = posixpath.dirname(package_path)
        manifest = {item.get("id"): _joined(folder, unquote(item.get("href", ""))) for item in package.iter(f"{_OPF}item")}
        media = {_joined(folder, unquote(item.get("href", ""))): item.get("media-type", "")
                 for item in package.iter(f"{_OPF}item")}
        missing = sorted(path for path in media if path not in names)
        report.check(not missing, f"{len(media)} files in the manifest, each in the archive",
                     _listed(("file", "files"), "in the manifest but not in the archive", missing))
        spine = [ref.get("idref") for ref in package.iter(f"{_OPF}itemref")]
        strays = [ref for ref in spine if ref not in manifest]
        report.check(spine and not strays, f"spine of {len(spine)} documents",
                     _listed(("spine entry", "spine entries"), "naming no manifest item", strays) or "the spine is empty")
        documents = _documents(archive, media, names, report)
        _check_ids(documents, report)
        _check_links(documents, media, report)
        _check_texts(documents, report)
    return report


def _package_path(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "META-INF/container.xml" not in names:
        return None
    try:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
    except etree.XMLSyntaxError:
        return None
    rootfile = container.find(f".//{_CONTAINER}rootfile")
    path = rootfile.get("full-path") if rootfile is not None else None
    return path if path in names else None


def _joined(folder: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(folder, href)) if href else ""


def _documents(archive: zipfile.ZipFile, media: dict[str, str], names: set[str], report: Report) -> dict[str, etree._Element]:
    """Every XHTML document of the manifest, parsed (as XML, as reading systems do)."""
    documents, broken = {}, []
    for path, kind in media.items():
        if kind != "application/xhtml+xml" or path not in names:
            continue
        try:
            documents[path] = etree.fromstring(archive.read(path), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as failure:
            broken.append(f"{path} ({failure})")
    report.check(not broken, f"{len(documents)} documents, each well-formed XHTML", _listed(("document", "documents"), "not well-formed XHTML", broken))
    return documents


def _check_ids(documents: dict[str, etree._Element], report: Report) -> None:
    twice = []
    for path, root in documents.items():
        seen: set[str] = set()
        for element in root.iter():
            value = element.get("id") if isinstance(element.tag, str) else None
            if value is not None:
                if value in seen:
                    twice.append(f"{path}#{value}")
                seen.add(value)
    report.check(not twice, "ids unique in each document", _listed(("id", "ids"), "used twice in a document", twice))


def _check_links(documents: dict[str, etree._Element], media: dict[str, str], report: Report) -> None:
    """Links, images and stylesheets that stay inside the book lead to a file of the
    package, and a fragment to an id in that document."""
    ids = {path: {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")} for path, root in documents.items()}
    broken, count = [], 0
    for path, root in documents.items():
        for element in root.iter(f"{_XHTML}a", f"{_XHTML}img", f"{_XHTML}link"):
            reference = element.get("src") if element.tag == f"{_XHTML}img" else element.get("href")
            if reference is None:
                continue
            parts = urlsplit(reference)
            if parts.scheme or parts.netloc:
                continue  # a web address: a link out of the book, not a file of it
            count += 1
            target = _joined(posixpath.dirname(path), unquote(parts.path)) if parts.path else path
            fragment = unquote(parts.fragment)
            if target not in media or (fragment and target in ids and fragment not in ids[target]):
                broken.append(f"{path}: {reference}")
    report.check(not broken, f"{count} links inside the book, each to a file and id of it",
                 _listed(("link", "links"), "to nothing in the book", broken))


def _check_texts(documents: dict[str, etree._Element], report: Report) -> None:
    """What EPUBCheck and Ace refuse as empty: a navigation entry without text, a heading
    without text (an image in it counts by its alt text), an image without ``alt``."""
    empty_entries, empty_headings, no_alt = [], [], []
    for path, root in documents.items():
        for nav in root.iter(f"{_XHTML}nav"):
            for link in nav.iter(f"{_XHTML}a"):
                if not "".join(link.itertext()).strip():
                    empty_entries.append(f"{path}: {link.get('href')}")
        for heading in root.iter(*_HEADINGS):
            alts = "".join(img.get("alt") or "" for img in heading.iter(f"{_XHTML}img"))
            if not ("".join(heading.itertext()) + alts).strip():
                empty_headings.append(f"{path}#{heading.get('id') or heading.tag.removeprefix(_XHTML)}")
        no_alt += [f"{path}: {img.get('src')}" for img in root.iter(f"{_XHTML}img") if img.get("alt") is None]
    report.check(not empty_entries, "every entry of the navigation has text", _listed(("navigation entry", "navigation entries"), "with no text", empty_entries))
    report.check(not empty_headings, "every heading has text", _listed(("heading", "headings"), "with no text", empty_headings))
    report.check(not no_alt, "every image has an alt attribute", _listed(("image", "images"), "without an alt attribute", no_alt))


def _listed(noun: tuple[str, str], what: str, found: list[str]) -> str:
    """How many of ``noun`` (singular, plural) are ``what``, and the first few; nothing when
    there are none."""
    if not found:
        return ""
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return f"{len(found)} {noun[len(found) != 1]} {what}: {', '.join(found[:_SHOWN])}{more}"
