"""metadata.yaml and front matter: YAML read with positions, and the metadata schema."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import langcodes
import yaml

from .printing import TARGETS
from .resources import ResourceRefused, book_resource, cmyk_profile
from .model import Metadata, Problem, PrintSettings, did_you_mean, error, warning

METADATA_FILE = "metadata.yaml"

_LENGTH = re.compile(r"^\d+(\.\d+)?(in|mm|cm|pt|px)$")
_MARKS = {"crop", "cross", "crop cross", "cross crop", "none"}
PRINT_KEYS = {"trim", "bleed", "marks", "target", "color_profile"}
KNOWN_KEYS = {
    "title", "subtitle", "author", "language", "publisher", "date", "rights", "description",
    "subjects", "series", "edition", "cover", "isbn", "print",
    "downloads",
}
DOWNLOADS_KEYS = {"print"}


@dataclass(frozen=True)
class YamlDoc:
    """A YAML mapping and where each key was written (dotted paths, 1-based; a list's
    items as ``key[0]``, ``key[1]``, ...)."""

    data: dict
    positions: dict[str, tuple[int, int]]
    booleans: dict[str, str] = field(default_factory=dict)  # key -> the word YAML read as true/false ("no")

    def where(self, key: str) -> tuple[int, int]:
        return self.positions.get(key, (1, 1))


class _TextDatesLoader(yaml.SafeLoader):
    """Dates stay text (``2024-13-45`` is then a message, not a crash); we check them ourselves."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str, path: str, first_line: int = 1) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse a YAML mapping; ``first_line`` is the file line the text starts on."""
    loader = _TextDatesLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
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
    return YamlDoc(data, positions, booleans), []


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


def load_metadata(root: Path) -> tuple[Metadata | None, list[Problem]]:
    path = METADATA_FILE
    file = root / path
    if not file.is_file():
        return None, [error(path, 1, 1, "metadata.yaml is missing: every book folder needs one")]
    raw = file.read_bytes()
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

    date = text_value(doc, "date", path, problems)
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
        downloads_print=_downloads_print(doc, path, problems),
    )
    if any(p.is_error for p in problems):
        return None, problems
    return metadata, problems


def _authors(doc: YamlDoc, path: str, problems: list[Problem]) -> tuple[str, ...]:
    value = doc.data.get("author")
    line, col = doc.where("author")
    if isinstance(value, bool):
        problems.append(not_text(doc, "author", value, path))
        return ()
    if isinstance(value, list):
        yes_or_no = [not_text(doc, f"author[{n}]", name, path) for n, name in enumerate(value) if isinstance(name, bool)]
        problems.extend(yes_or_no)
        names = tuple(str(v).strip() for v in value if v is not None and not isinstance(v, bool) and str(v).strip())
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
        else:
            width, height = sizes
    bleed = text_value(doc, "print.bleed", path, problems) or default.bleed
    if bleed != "0" and not _LENGTH.match(bleed):
        line, col = doc.where("print.bleed")
        problems.append(error(path, line, col, f"`bleed: {bleed}` must be a length, e.g. `0.125in` or `3mm`"))
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
    return PrintSettings(width, height, bleed, marks, target, profile)


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
