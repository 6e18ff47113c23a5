"""The same book gives the same bytes: wherever its folder is, whatever the output folder,
with or without a cache."""

from conftest import copy_sample, run_build


def test_a_copy_of_the_book_elsewhere_builds_the_same_bytes(sample, tmp_path):
    """A copy in another folder (deeper, with a space and an accent in its name), with no
    cache, written to another output folder: every edition byte for byte the same."""
    book = copy_sample(tmp_path / "somewhere else" / "Mon livre à moi")
    out = tmp_path / "elsewhere-out"
    done = run_build("--book", book, "--out", out)
    assert done.returncode == 0, done.stderr
    editions = sorted(path.name for path in sample.out.iterdir() if path.suffix in (".epub", ".pdf"))
    assert len(editions) == 4  # the print cover too
    for name in editions:
        assert (out / name).read_bytes() == (sample.out / name).read_bytes(), name
