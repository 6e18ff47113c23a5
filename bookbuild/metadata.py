"""metadata.yaml and front matter: YAML read with positions, and the metadata schema."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import langcodes
import yaml

from . import characters
from .printing import PAPERS, TARGETS
from .resources import ResourceRefused, book_resource, cmyk_profile, read_inside
from .model import Metadata, Problem, PrintSettings, did_you_mean, error, warning

METADATA_FILE = "metadata.yaml"

_LENGTH = re.compile(r"^\d+(\.\d+)?(in|mm|cm|pt|px)$")
_INCHES_PER = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72, "px": 1 / 96}
# Page sizes a book can have: the text block keeps at least an inch each way inside the
# widest margins (0.6in outside, up to 1.125in inside, 1.55in top and bottom), and no
# printer takes a page over 20in (a 99999in page is hours of layout for nothing).
TRIM_INCHES = (3.0, 20.0)
MAX_BLEED_INCHES = 1.0
_MARKS = {"crop", "cross", "crop cross", "cross crop", "none"}
PRINT_KEYS = {"trim", "bleed", "marks", "target", "color_profile", "paper", "paper_thickness", "price_code"}
KNOWN_KEYS = {
    "title", "subtitle", "author", "language", "publisher", "date", "rights", "description",
    "subjects", "series", "edition", "cover", "isbn", "print", "cover_text", "back_cover", "downloads",
}
DOWNLOADS_KEYS = {"print"}
_INCHES = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72, "px": 1 / 96}


@dataclass(frozen=True)
class YamlDoc:
    """A YAML mapping and where each key was written (dotted paths, 1-based; a list's
    items as ``key[0]``, ``key[1]``, ...)."""

    data: dict
    positions: dict[str, tuple[int, int]]
    booleans: dict[str, str] = field(default_factory=dict)  # key -> the word YAML read as true/false ("no")

    def where(self, key: str) -> tuple[int, int]:
        return self.positions.get(key, (1, 1))


MAX_YAML_DEPTH = 20  # lists and mappings inside each other: metadata needs three


class _Refused(yaml.MarkedYAMLError):
    """YAML that is well formed but not read: the problem says why, at its mark."""


class _TextDatesLoader(yaml.SafeLoader):
    """Dates stay text (``2024-13-45`` is then a message, not a crash); we check them ourselves.

    Aliases are refused: ``*name`` repeats what ``&name`` marks, and ten lines of them make
    a value of billions of items (a "billion laughs"), whatever reads it afterwards. So is
    nesting deeper than ``MAX_YAML_DEPTH`` (the composer would recurse until it failed)."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(None, None, f"`*{event.anchor}` repeats another value: YAML aliases are not read in a book; "
                                       "write the value out", event.start_mark)
        if self.depth >= MAX_YAML_DEPTH:
            raise _Refused(None, None, f"lists or mappings nested more than {MAX_YAML_DEPTH} deep are not read",
                           self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str, path: str, first_line: int = 1) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse a YAML mapping; ``first_line`` is the file line the text starts on."""
    written_out = characters.problems_in(text, path, first_line)
    if written_out:
        return None, written_out
    loader = _TextDatesLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except _Refused as refused:
        mark = refused.problem_mark
        return None, [error(path, first_line + mark.line, mark.column + 1, refused.problem)]
    except yaml.MarkedYAMLError as exc:
        line, col, message = _yaml_mistake(exc, text)
        return None, [error(path, first_line + line, col, f"invalid YAML: {message}")]
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # a value YAML cannot construct
        return None, [error(path, first_line, 1, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [error(path, first_line, 1, "expected a YAML mapping of `key: value` lines")]
    positions: dict[str, tuple[int, int]] = {}
    booleans: dict[str, str] = {}

    def walk(mapping_node: yaml.Node, prefix: str) -> None:
        if not isinstance(mapping_node, yaml.MappingNode):
            return
        for key_node, value_node in mapping_node.value:
            key = f"{prefix}{key_node.value}"
            positions[key] = (first_line + key_node.start_mark.line, key_node.start_mark.column + 1)
            remember_boolean(key, value_node)
            if isinstance(value_node, yaml.SequenceNode):
                for n, item in enumerate(value_node.value):
                    positions[f"{key}[{n}]"] = (first_line + item.start_mark.line, item.start_mark.column + 1)
                    remember_boolean(f"{key}[{n}]", item)
            walk(value_node, key + ".")

    def remember_boolean(key: str, value_node: yaml.Node) -> None:
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag == "tag:yaml.org,2002:bool":
            booleans[key] = value_node.value

    walk(node, "")
    escaped = _escaped_characters(node, path, first_line)  # "\x01" in quotes: no longer written out
    if escaped:
        return None, escaped
    return YamlDoc(data, positions, booleans), []


def _escaped_characters(root: yaml.Node | None, path: str, first_line: int) -> list[Problem]:
    """An error for each value (or key) that holds a control character or noncharacter
    through an escape (``"\x01"``, ``"\uFFFE"``), at the value."""
    problems, nodes = [], [root] if root is not None else []
    while nodes and len(problems) < characters.MAX_REPORTED:
        node = nodes.pop()
        if isinstance(node, yaml.ScalarNode):
            found = characters.FORBIDDEN.search(node.value)
            if found:
                problems.append(error(path, first_line + node.start_mark.line, node.start_mark.column + 1,
                                      f"this value holds {characters.described(found.group(0))}, which cannot be in a "
                                      "book: remove the escape that writes it"))
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            nodes.extend(item for pair in reversed(node.value) for item in reversed(pair))
    return sorted(problems)


def _yaml_mistake(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """Where the author went wrong, and how to put it right: (line from 0, column from 1,
    message). YAML notices some mistakes lines later than they were made: a quote closed by
    the next quote it finds (in a comment further down), a bracket by the end of the file."""
    reason = (exc.problem or "invalid YAML").strip()
    problem, context = exc.problem_mark, exc.context_mark
    runaway = _runaway_quote(text, problem)
    if runaway is not None:
        start, end = runaway
        return start.line, start.column + 1, (f"the quote opened here is not closed on its line (YAML read on to "
                                              f"the next {text[start.pointer]} on line {end.line + 1}): close it")
    opened = context is not None and (exc.context or "").startswith(("while scanning a quoted", "while parsing a flow"))
    if opened and (problem is None or problem.line > context.line or "end of stream" in reason):
        what = {"[": "`[`", "{": "`{`", '"': "quote", "'": "quote"}.get(text[context.pointer:context.pointer + 1], "quote or bracket")
        return context.line, context.column + 1, f"the {what} opened here is never closed: close it on its line"
    if problem is None:
        return 0, 1, reason
    line = text.split("\n")[problem.line] if problem.line < len(text.split("\n")) else ""
    if "mapping values are not allowed" in reason:
        indent = len(line) - len(line.lstrip(" "))
        if indent and problem.line > 0 and ": " not in line[indent:problem.column] and not line[indent:].startswith("- "):
            key = line[indent:problem.column]
            return problem.line, indent + 1, (f"`{key}:` is indented more than the key above it, so YAML reads it as "
                                              f"part of that value: start it in the same column as the other keys")
        return problem.line, problem.column + 1, f"{reason} (a value containing `: ` must be in quotes)"
    if "found character '\\t'" in reason:
        return problem.line, problem.column + 1, f"{reason} (indent with spaces, not tabs)"
    return problem.line, problem.column + 1, f"{reason} (check the quotes, colons and indentation on this line)"


def _runaway_quote(text: str, problem: yaml.Mark | None) -> tuple[yaml.Mark, yaml.Mark] | None:
    """A quoted value that runs on past its line up to where YAML went wrong, with a line
    that looks like a key or a comment inside it: a quote left open, closed by a later one."""
    if problem is None:
        return None
    found = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.pointer >= problem.pointer:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'") and token.end_mark.line > token.start_mark.line:
                inside = text[token.start_mark.pointer:token.end_mark.pointer].split("\n")[1:]
                if any(re.match(r"\s*(#|[\w-]+:(\s|$))", line) for line in inside):
                    found = (token.start_mark, token.end_mark)
    except yaml.YAMLError:
        pass
    return found


def text_value(doc: YamlDoc, key: str, path: str, problems: list[Problem], required: bool = False) -> str:
    """A scalar as text; numbers and dates are accepted as their written form."""
    parts = key.split(".")
    value = doc.data
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else None
    line, col = doc.where(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(error(path, line, col, f"`{key}` is required: add `{key}: ...`"))
        return ""
    if isinstance(value, (dict, list)):
        problems.append(error(path, line, col, f"`{key}` must be a single value, not a list or mapping"))
        return ""
    if isinstance(value, bool):
        problems.append(not_text(doc, key, value, path))
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def not_text(doc: YamlDoc, key: str, value: bool, path: str) -> Problem:
    """The error for a true/false where text belongs: YAML 1.1 reads an unquoted yes, no, on
    or off as one (``language: no`` is false, not Norwegian)."""
    word = doc.booleans.get(key, str(value).lower())
    shown, quoted = (key.partition("[")[0], f'"{word}"') if key.endswith("]") else (key, f'{key}: "{word}"')
    line, col = doc.where(key)
    return error(path, line, col, f"`{shown}: {word}` is YAML for {str(value).lower()}, not text: "
                                  f"put the value in quotes: `{quoted}`")


def isbn13_problem(isbn: str) -> str | None:
    """What is wrong with an ISBN-13 (hyphens and spaces allowed), or None."""
    digits = isbn.replace("-", "").replace(" ", "")
    if not re.fullmatch(r"\d{13}", digits):
        return "is not a valid ISBN-13 (check the digits)"
    if not digits.startswith(("978", "979")):
        return "is not an ISBN-13: every ISBN-13 starts with 978 or 979"
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits[:12]))
    if (10 - total % 10) % 10 != int(digits[12]):
        return "is not a valid ISBN-13 (check the digits)"
    return None


def language_tag_problem(tag: str) -> str | None:
    """What is wrong with a BCP 47 language tag, or None. langcodes knows the IANA registry:
    ``en-US-u-ca-gregory`` and the private-use ``x-klingon`` are tags, ``zz`` names no language."""
    try:
        if "_" in tag:  # langcodes reads en_GB as en-GB; EPUB readers and hyphenation want the hyphen
            raise langcodes.LanguageTagError("underscore")
        known = langcodes.Language.get(tag).is_valid()
    except langcodes.LanguageTagError:
        return "is not a BCP 47 tag such as en-GB or fr"
    return None if known else "names no registered language, script or region: use a tag such as en-GB or fr"


# Scripts written right to left: a book in one would need its pages, its page progression
# and every line mirrored, which the editions do not do yet.
RIGHT_TO_LEFT = {"Arab": "Arabic", "Hebr": "Hebrew", "Syrc": "Syriac", "Thaa": "Thaana", "Nkoo": "N'Ko",
                 "Adlm": "Adlam", "Rohg": "Hanifi Rohingya", "Mand": "Mandaic", "Samr": "Samaritan"}


def language_problems(language: str, path: str, line: int, col: int) -> list[Problem]:
    """A book in a right-to-left script is refused, in one line; a language the toolchain has
    not every word for builds with those words in English, and one warning names them."""
    from .words import language_name, missing_words

    script = langcodes.Language.get(language).maximize().script
    if script in RIGHT_TO_LEFT:
        return [error(path, line, col, f"`language: {language}`: books in right-to-left scripts ({RIGHT_TO_LEFT[script]}) "
                                       "are not supported yet")]
    missing = missing_words(language)
    if not missing:
        return []
    return [warning(path, line, col, f"no {language_name(language)} words for {len(missing)} of the toolchain's own: "
                                     f"{', '.join(repr(w) for w in missing)}; the editions print them in English "
                                     "(add bookbuild/translations/<language>.yaml to translate them)")]


def load_metadata(root: Path) -> tuple[Metadata | None, list[Problem]]:
    path = METADATA_FILE
    file = root / path
    if not file.exists() and not file.is_symlink():
        return None, [error(path, 1, 1, "metadata.yaml is missing: every book folder needs one")]
    try:
        raw = read_inside(root, file)
    except ResourceRefused as refused:
        return None, [error(path, 1, 1, str(refused))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = position_of_byte(raw, exc.start)
        return None, [error(path, line, col, "file is not UTF-8: save it as UTF-8")]
    doc, problems = read_yaml(text, path)
    if doc is None:
        return None, problems
    metadata, problems = parse_metadata(doc, path, problems)
    if metadata and metadata.cover:
        try:
            book_resource(root, "", metadata.cover)
        except ResourceRefused as refused:
            line, col = doc.where("cover")
            return None, problems + [error(path, line, col, f"cover: {refused}")]
    if metadata and metadata.cover_text and metadata.cover.lower().endswith(".svg"):
        line, col = doc.where("cover_text")
        problems.append(warning(path, line, col, "cover_text: the EPUB's cover is the SVG as it is (set the title in "
                                                 "the SVG itself); the print cover sets it over the picture"))
    if metadata and metadata.print.color_profile:
        try:
            cmyk_profile(root, metadata.print.color_profile)
        except ResourceRefused as refused:
            line, col = doc.where("print.color_profile")
            return None, problems + [error(path, line, col, str(refused))]
    return metadata, problems


def parse_metadata(doc: YamlDoc, path: str, problems: list[Problem]) -> tuple[Metadata | None, list[Problem]]:
    for key in doc.data:
        if key not in KNOWN_KEYS:
            line, col = doc.where(str(key))
            problems.append(warning(path, line, col, f"unknown key `{key}` is ignored{did_you_mean(str(key), KNOWN_KEYS)}"))

    title = text_value(doc, "title", path, problems, required=True)
    authors = _authors(doc, path, problems)
    language = text_value(doc, "language", path, problems, required=True)
    language_problem = language_tag_problem(language) if language else None
    if language_problem:
        line, col = doc.where("language")
        problems.append(error(path, line, col, f"`language: {language}` {language_problem}"))
    elif language:
        problems.extend(language_problems(language, path, *doc.where("language")))

    date = text_value(doc, "date", path, problems)
    if not date:
        problems.append(warning(path, 1, 1, "no `date`: the editions print no publication date (add `date: YYYY-MM-DD`, "
                                "the day the book is published)"))
    if date:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            line, col = doc.where("date")
            problems.append(error(path, line, col, f"`date: {date}` is not a date written YYYY-MM-DD"))

    isbn = {}
    if "isbn" in doc.data and not isinstance(doc.data["isbn"], dict):
        line, col = doc.where("isbn")
        problems.append(error(path, line, col, "`isbn` must be a mapping with `epub:` and/or `print:`"))
    else:
        for edition in ("epub", "print"):
            value = text_value(doc, f"isbn.{edition}", path, problems)
            isbn_problem = isbn13_problem(value) if value else None
            if isbn_problem:
                line, col = doc.where(f"isbn.{edition}")
                problems.append(error(path, line, col, f"`isbn.{edition}: {value}` {isbn_problem}"))
            isbn[edition] = value.replace("-", "").replace(" ", "")

    subjects_value = doc.data.get("subjects") or []
    if isinstance(subjects_value, str):
        subjects_value = [subjects_value]
    if not isinstance(subjects_value, list):
        line, col = doc.where("subjects")
        problems.append(error(path, line, col, "`subjects` must be a list"))
        subjects_value = []
    for n, subject in enumerate(subjects_value):
        if isinstance(subject, bool):
            problems.append(not_text(doc, f"subjects[{n}]", subject, path))
        elif not _is_scalar_text(subject):
            problems.append(error(path, *doc.where(f"subjects[{n}]"), _NOT_A_NAME.format(key="subjects", what="subject")))
    subjects_value = [s for s in subjects_value if _is_scalar_text(s) and not isinstance(s, bool)]

    metadata = Metadata(
        title=title,
        authors=authors,
        language=language,
        subtitle=text_value(doc, "subtitle", path, problems),
        publisher=text_value(doc, "publisher", path, problems),
        date=date,
        rights=text_value(doc, "rights", path, problems),
        description=text_value(doc, "description", path, problems),
        subjects=tuple(str(s) for s in subjects_value),
        series=text_value(doc, "series", path, problems),
        edition=text_value(doc, "edition", path, problems),
        cover=text_value(doc, "cover", path, problems),
        isbn_epub=isbn.get("epub", ""),
        isbn_print=isbn.get("print", ""),
        print=_print_settings(doc, path, problems),
        cover_text=_cover_text(doc, path, problems),
        back_cover=text_value(doc, "back_cover", path, problems),
        downloads_print=_downloads_print(doc, path, problems),
    )
    if any(p.is_error for p in problems):
        return None, problems
    return metadata, problems


_NOT_A_NAME = ("each item of `{key}` must be a {what} written as text, not a list, a mapping or nothing "
               "(`{key}: [A, B]`, not `{key}: [[A, B]]`)")


def _is_scalar_text(value: object) -> bool:
    """A value that reads as text: a string, or a number or date as written (not a list,
    a mapping or nothing)."""
    return isinstance(value, (str, int, float, datetime.date))


def _authors(doc: YamlDoc, path: str, problems: list[Problem]) -> tuple[str, ...]:
    value = doc.data.get("author")
    line, col = doc.where("author")
    if isinstance(value, bool):
        problems.append(not_text(doc, "author", value, path))
        return ()
    if isinstance(value, list):
        yes_or_no = [not_text(doc, f"author[{n}]", name, path) for n, name in enumerate(value) if isinstance(name, bool)]
        yes_or_no += [error(path, *doc.where(f"author[{n}]"), _NOT_A_NAME.format(key="author", what="name"))
                      for n, name in enumerate(value) if not _is_scalar_text(name)]
        problems.extend(yes_or_no)
        names = tuple(str(v).strip() for v in value if _is_scalar_text(v) and not isinstance(v, bool) and str(v).strip())
    elif isinstance(value, str):
        names, yes_or_no = ((value.strip(),) if value.strip() else ()), []
    else:
        names, yes_or_no = (), []
    if not names and not yes_or_no:
        problems.append(error(path, line, col, "`author` is required: a name, or a list of names"))
    return names


def _print_settings(doc: YamlDoc, path: str, problems: list[Problem]) -> PrintSettings:
    default = PrintSettings("6in", "9in", "0.125in", "crop")
    section = doc.data.get("print")
    if section is None:
        return default
    unknown = [key for key in (section if isinstance(section, dict) else {}) if key not in PRINT_KEYS]
    for key in unknown:
        line, col = doc.where(f"print.{key}")
        problems.append(warning(path, line, col, f"unknown key `print.{key}` is ignored{did_you_mean(str(key), PRINT_KEYS, lambda n: f'`print.{n}`')}"))
    if not isinstance(section, dict):
        line, col = doc.where("print")
        problems.append(error(path, line, col, "`print` must be a mapping (trim, bleed, marks)"))
        return default
    width, height = default.trim_width, default.trim_height
    trim = text_value(doc, "print.trim", path, problems)
    if trim:
        sizes = trim.split()
        if len(sizes) != 2 or not all(_LENGTH.match(s) for s in sizes):
            line, col = doc.where("print.trim")
            problems.append(error(path, line, col, f"`trim: {trim}` must be a width and a height, e.g. `6in 9in` or `148mm 210mm`"))
        elif not all(TRIM_INCHES[0] <= inches(size) <= TRIM_INCHES[1] for size in sizes):
            line, col = doc.where("print.trim")
            problems.append(error(path, line, col, f"`trim: {trim}` is {inches(sizes[0]):g}in by {inches(sizes[1]):g}in: "
                                                   f"each side must be from {TRIM_INCHES[0]:g}in to {TRIM_INCHES[1]:g}in "
                                                   "(the text needs room inside the margins, and a printer a page it "
                                                   "can print)"))
        else:
            width, height = sizes
    bleed = text_value(doc, "print.bleed", path, problems) or default.bleed
    if bleed != "0" and not _LENGTH.match(bleed):
        line, col = doc.where("print.bleed")
        problems.append(error(path, line, col, f"`bleed: {bleed}` must be a length, e.g. `0.125in` or `3mm`"))
    elif bleed != "0" and inches(bleed) > MAX_BLEED_INCHES:
        line, col = doc.where("print.bleed")
        problems.append(error(path, line, col, f"`bleed: {bleed}` is more than {MAX_BLEED_INCHES:g}in: printers ask for "
                                               "0.125in (3mm)"))
    target = text_value(doc, "print.target", path, problems) or "generic"
    if target not in TARGETS:
        line, col = doc.where("print.target")
        problems.append(error(path, line, col, f"`target: {target}` must be one of {', '.join(TARGETS)}"))
        target = "generic"
    marks = text_value(doc, "print.marks", path, problems) or TARGETS[target].marks
    if marks not in _MARKS:
        line, col = doc.where("print.marks")
        problems.append(error(path, line, col, f"`marks: {marks}` must be one of crop, cross, none"))
    profile = text_value(doc, "print.color_profile", path, problems)
    paper = text_value(doc, "print.paper", path, problems) or "white"
    if paper not in PAPERS:
        line, col = doc.where("print.paper")
        problems.append(error(path, line, col, f"`paper: {paper}` must be one of {', '.join(PAPERS)}"))
        paper = "white"
    thickness = _paper_thickness(doc, path, problems)
    if not thickness and TARGETS[target].cover.thickness_of(paper) is None:
        line, col = doc.where("print.target")
        problems.append(warning(path, line, col, f"{target} publishes its paper thickness only in its cover template: "
                                                 f"the cover's spine is measured with KDP's figure for {paper} paper until "
                                                 f"`print.paper_thickness` gives {target}'s (the template's spine width "
                                                 "divided by the page count)"))
    return PrintSettings(width, height, bleed, marks, target, profile, paper, thickness,
                         _price_code(doc, path, problems))


def _paper_thickness(doc: YamlDoc, path: str, problems: list[Problem]) -> float:
    """Inches a page: a number (inches) or a length (``0.0572mm``); 0 when not given."""
    written = text_value(doc, "print.paper_thickness", path, problems)
    if not written:
        return 0.0
    unit = next((u for u in _INCHES if written.endswith(u)), "in")
    try:
        inches = float(written.removesuffix(unit)) * _INCHES[unit]
    except ValueError:
        inches = 0.0
    if not 0.0005 <= inches <= 0.01:
        line, col = doc.where("print.paper_thickness")
        problems.append(error(path, line, col, f"`paper_thickness: {written}` must be the inches a page takes in the "
                                               "spine, between 0.0005 and 0.01 (e.g. `0.0025` or `0.0635mm`)"))
        return 0.0
    return round(inches, 7)


def _price_code(doc: YamlDoc, path: str, problems: list[Problem]) -> str:
    """The barcode's five-digit add-on: a currency digit and the price (``51995``: $19.95)."""
    written = text_value(doc, "print.price_code", path, problems) or "90000"
    if not re.fullmatch(r"\d{5}", written):
        line, col = doc.where("print.price_code")
        problems.append(error(path, line, col, f"`price_code: {written}` must be five digits, in quotes when it "
                                               "starts with 0 (`price_code: \"05000\"`); 90000 means no price"))
        return "90000"
    return written


def _cover_text(doc: YamlDoc, path: str, problems: list[Problem]) -> bool:
    value = doc.data.get("cover_text", False)
    if not isinstance(value, bool):
        line, col = doc.where("cover_text")
        problems.append(error(path, line, col, "`cover_text` must be true or false"))
        return False
    return value


def inches(length: str) -> float:
    """A length as metadata.yaml writes it (``6in``, ``148mm``; see ``_LENGTH``), in inches."""
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", length).groups()
    return float(number) * _INCHES_PER[unit]


def _downloads_print(doc: YamlDoc, path: str, problems: list[Problem]) -> bool:
    """``downloads: {print: true}``: the press PDF is offered on the readers' download page
    too (it is always built into the output folder: it is the author's, for a printer)."""
    section = doc.data.get("downloads")
    if section is None:
        return False
    if not isinstance(section, dict):
        line, col = doc.where("downloads")
        problems.append(error(path, line, col, "`downloads` must be a mapping, e.g. `downloads: {print: true}`"))
        return False
    for key in section:
        if key not in DOWNLOADS_KEYS:
            line, col = doc.where(f"downloads.{key}")
            problems.append(warning(path, line, col, f"unknown key `downloads.{key}` is ignored"
                                    f"{did_you_mean(str(key), DOWNLOADS_KEYS, lambda n: f'`downloads.{n}`')}"))
    value = section.get("print", False)
    if not isinstance(value, bool):
        line, col = doc.where("downloads.print")
        problems.append(error(path, line, col, f"`downloads.print: {value}` must be true or false"))
        return False
    return value


def position_of_byte(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset, for undecodable files."""
    before = raw[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return before.count(b"\n") + 1, len(before) - (before.rfind(b"\n") + 1) + 1
