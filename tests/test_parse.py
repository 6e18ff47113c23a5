"""Parse: pandoc's HTML for each file, and enormous files sent to pandoc in pieces."""

import re

from bookbuild.cache import Cache
from bookbuild.model import PartKind, SourceFile
from bookbuild.parse import parse_all


def source(body: str) -> SourceFile:
    return SourceFile("manuscript/001-long.md", PartKind.CHAPTER, "c001", 1, "Long", body, 5)


def test_an_enormous_file_is_parsed_in_pieces_as_if_whole(tmp_path):
    paragraph = "A sentence that fills the chapter, written for this test and nothing else. " * 8
    sections = []
    for n in range(1, 61):
        note = f" It has a note.[^n{n}]" if n % 10 == 1 else ""
        sections.append(f"## Final thoughts\n\n" + "\n\n".join([paragraph] * 30) + note)
    body = "\n\n".join(sections) + "\n\nSee [the reference][ref].\n\n" + "\n\n".join(
        f"[^n{n}]: Note {n}, defined at the end,\n    over two lines." for n in range(1, 61, 10)) + "\n\n[ref]: https://example.com/\n"
    assert len(body) > 3 * 300_000  # several pieces

    [part] = parse_all((source(body),), 1, Cache(tmp_path))

    heading_ids = [h.id for h in part.headings]
    assert len(heading_ids) == 60 and len(set(heading_ids)) == 60  # final-thoughts, final-thoughts-1, ...
    refs = re.findall(r'class="footnote-ref" id="([^"]+)"', part.html)
    notes = re.findall(r'<li id="(fn[^"]+)"', part.html)
    assert len(notes) == 6 and len(set(notes)) == 6
    assert len(refs) == 6 and len(set(refs)) == 6
    for note in notes:
        assert f'href="#{note}"' in part.html  # every note is called from the text
    assert "[^n" not in part.html and "Note 51, defined at the end, over two lines." in part.html
    assert 'href="https://example.com/"' in part.html
    assert part.html.count('id="footnotes"') == 1
