"""A book's own stylesheets may not load anything, however the CSS is written: it is read
by a CSS tokenizer, so escapes, comments and case do not hide a url() or an @import.
And the fonts the EPUB carries keep the copyright and licence their licence asks for."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import copy_book, run_build

# Each line loads a file once the escapes are read; the comment says what the reader sees.
HIDDEN_LOADS = [
    r"p { background: \75 rl(https://example.org/a.png); }",  # url(
    r"q { background-image: u\72l(https://example.org/b.png); }",  # url(
    r"@\69mport 'https://example.org/c.css';",  # @import
    r"r { background: URL(https://example.org/d.png); }",  # case
    r"s { background: image-set('https://example.org/e.png' 1x); }",
    r"t { background: u/**/rl(x.png); }",  # not a url: a comment inside the name ends it (kept as a check of the tokenizer)
    r"@font-face { font-family: X; src: local(X), u\rl(https://example.org/f.woff); }",
    r"@media print { u { background: \000075rl(https://example.org/g.png); } }",
]


@pytest.mark.parametrize("line", HIDDEN_LOADS)
def test_an_escaped_load_in_a_books_styles_is_an_error_at_its_line(line, tmp_path):
    book = copy_book("refs", tmp_path / "book")
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text("/* the book's own styles */\nh1 { color: #333; }\n" + line + "\n")
    done = run_build("check", "--book", book)
    if "u/**/rl" in line:  # "u" then "rl(": two tokens, no url at all
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1, done.stderr
    assert "styles/book.css:3:" in done.stderr and "may not load other files" in done.stderr, done.stderr


def test_an_escaped_url_in_a_style_attribute_is_removed(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    chapter = book / "manuscript" / "1-first.md"
    chapter.write_text(chapter.read_text() + '\n<p style="background: \\75 rl(https://example.org/h.png)">Styled.</p>\n')
    done = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub")
    assert done.returncode == 0, done.stderr
    assert "`style` attribute removed" in done.stderr
    with zipfile.ZipFile(next((tmp_path / "out").glob("*.epub"))) as epub:
        assert b"example.org/h.png" not in b"".join(epub.read(name) for name in epub.namelist())


def test_the_epub_fonts_keep_their_copyright_and_licence(refs):
    from fontTools.ttLib import TTFont

    with zipfile.ZipFile(refs.epub) as epub:
        fonts = [name for name in epub.namelist() if name.endswith((".ttf", ".otf"))]
        assert fonts
        for name in fonts:
            names = TTFont(io.BytesIO(epub.read(name)))["name"]
            for name_id in (0, 1, 13, 14):  # copyright, family, licence, licence URL
                assert (names.getDebugName(name_id) or "").strip(), (name, name_id)
            assert "Open Font License" in names.getDebugName(13)
