"""bookbuild.cache in-process: entries come back exactly, signed with the user's secret; what
anyone else made, moved, cut or changed is a miss; links and pipes are never followed; keys
change with every input."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import pytest

from bookbuild import cache as cache_module
from bookbuild.cache import CACHE_DIR, Cache, book_inputs_key, key_of, toolchain_fingerprint, user_secret
from bookbuild.model import Heading, PartKind, Problem, Severity

SECRET = b"s" * 32
MAGIC = b"bookbuild-cache 1\n"


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path, secret=SECRET)


def entry(tmp_path: Path, kind: str, key: str) -> Path:
    return tmp_path / CACHE_DIR / kind / key


def test_an_entry_is_the_magic_line_its_mac_the_json_length_the_json_and_the_blobs(cache, tmp_path):
    value = {"pdf": b"%PDF-1.7\xff", "n": (1, 2.5, None, True), "ids": frozenset({"a"})}
    cache.store("segments", "k1", value)
    data = entry(tmp_path, "segments", "k1").read_bytes()
    assert data.startswith(MAGIC)
    mac, body = data[len(MAGIC):len(MAGIC) + 32], data[len(MAGIC) + 32:]
    signed = hmac.new(SECRET, MAGIC + b"segments\0k1\0" + body, hashlib.sha256).digest()
    assert mac == signed
    size = int.from_bytes(body[:8], "big")
    document = json.loads(body[8:8 + size])
    assert document == {"dict": [["pdf", {"bytes": [0, 9]}], ["n", {"tuple": [1, 2.5, None, True]}],
                                 ["ids", {"frozenset": ["a"]}]]}
    assert body[8 + size:] == b"%PDF-1.7\xff"
    assert cache.load("segments", "k1") == value
    assert [p.name for p in entry(tmp_path, "segments", "k1").parent.iterdir()] == ["k1"]  # no temporary file left


def test_values_of_every_kind_come_back_with_their_types(cache):
    problem = Problem("a.md", 3, 4, Severity.WARNING, "careful")
    value = [problem, PartKind.CHAPTER, Heading(2, "x", "X"), {1: [b"", b"two", Path("/p/q")]}, {"set"}, "ü—", 10**20,
             -0.5, [], {}]
    cache.store("parse", "k", value)
    back = cache.load("parse", "k")
    assert back == value
    assert [type(v) for v in back] == [type(v) for v in value]
    assert back[0].severity is Severity.WARNING and isinstance(back[3][1][2], Path)
    assert back[3][1][0] == b"" and back[3][1][1] == b"two"


def test_what_the_cache_cannot_hold_is_refused_before_anything_is_written(cache, tmp_path):
    class NotData:
        pass

    with pytest.raises(TypeError, match=r"^the cache cannot hold a .*NotData: add it to "
                                        r"bookbuild\.cache\._CACHEABLE if it is data$"):
        cache.store("parse", "k", [NotData()])
    assert not (tmp_path / CACHE_DIR).exists()


def test_another_class_of_the_same_name_is_not_held(cache):
    class Heading:  # not bookbuild.model.Heading
        pass

    with pytest.raises(TypeError):
        cache.store("parse", "k", Heading())


def test_an_entry_signed_with_another_secret_moved_or_damaged_is_a_miss(cache, tmp_path):
    cache.store("parse", "k", ["value"])
    good = entry(tmp_path, "parse", "k").read_bytes()
    assert Cache(tmp_path, secret=b"t" * 32).load("parse", "k") is None
    entry(tmp_path, "builds", "k").parent.mkdir(parents=True)
    entry(tmp_path, "builds", "k").write_bytes(good)
    assert cache.load("builds", "k") is None  # another kind
    entry(tmp_path, "parse", "other").write_bytes(good)
    assert cache.load("parse", "other") is None  # another key
    for damaged in (good[:-1], good + b"\0", good[:len(MAGIC) + 39], b"", MAGIC,
                    good[:len(MAGIC)] + bytes([good[len(MAGIC)] ^ 1]) + good[len(MAGIC) + 1:],
                    good[:-2] + bytes([good[-2] ^ 1]) + good[-1:], b"bookbuild-cache 2\n" + good[len(MAGIC):]):
        entry(tmp_path, "parse", "k").write_bytes(damaged)
        assert cache.load("parse", "k") is None, damaged
    assert cache.load("parse", "never stored") is None


def forged(kind: str, key: str, document: bytes, blobs: bytes = b"") -> bytes:
    """An entry correctly signed with SECRET whose contents this toolchain never writes."""
    body = len(document).to_bytes(8, "big") + document + blobs
    return MAGIC + hmac.new(SECRET, MAGIC + kind.encode() + b"\0" + key.encode() + b"\0" + body, hashlib.sha256).digest() + body


@pytest.mark.parametrize("document", [
    b'{"bytes": [0, 5]}',  # a blob beyond the end
    b'{"bytes": [3, 0]}',  # starts past the end of no blobs
    b'{"dataclass": "Heading", "level": 2}',  # fields missing
    b'{"dataclass": "Heading", "level": 2, "id": "x", "text": "X", "extra": 1}',
    b'{"dataclass": "Popen", "args": []}',  # not a class the cache holds
    b'{"enum": "Severity", "member": "FATAL"}',
    b'{"enum": "Severity"}',
    b'{"module": "os", "name": "system"}',  # an unknown tag
    b'{}',
    b'not json',
])
def test_a_signed_entry_this_toolchain_never_writes_is_a_miss(cache, tmp_path, document):
    entry(tmp_path, "parse", "k").parent.mkdir(parents=True)
    entry(tmp_path, "parse", "k").write_bytes(forged("parse", "k", document))
    assert cache.load("parse", "k") is None


def test_a_signed_entry_with_a_blob_at_the_very_end_is_read(cache, tmp_path):
    entry(tmp_path, "parse", "k").parent.mkdir(parents=True)
    entry(tmp_path, "parse", "k").write_bytes(forged("parse", "k", b'[{"bytes": [1, 2]}, {"set": [1]}]', b"abc"))
    assert cache.load("parse", "k") == [b"bc", {1}]


def test_without_a_secret_nothing_is_read_or_written(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "user_secret", lambda make=True: None)
    unsigned = Cache(tmp_path)
    assert unsigned.secret is None
    unsigned.store("parse", "k", ["value"])
    assert not (tmp_path / CACHE_DIR).exists()
    Cache(tmp_path, secret=SECRET).store("parse", "k", ["value"])
    assert unsigned.load("parse", "k") is None


def test_an_unwritable_cache_is_no_cache_and_no_failure(tmp_path):
    (tmp_path / CACHE_DIR).write_text("a file where the folder should be")
    Cache(tmp_path, secret=SECRET).store("parse", "k", ["value"])
    assert Cache(tmp_path, secret=SECRET).load("parse", "k") is None


def test_links_planted_in_the_cache_are_not_followed(cache, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = Cache(elsewhere, secret=SECRET)
    other.store("parse", "k", ["theirs"])
    book = tmp_path / "book"
    book.mkdir()
    (book / CACHE_DIR).mkdir()
    (book / CACHE_DIR / "parse").symlink_to(elsewhere / CACHE_DIR / "parse", target_is_directory=True)
    planted = Cache(book, secret=SECRET)
    assert planted.load("parse", "k") is None
    planted.store("parse", "new", ["ours"])
    planted.keep_only("parse", set())
    planted.keep_latest("parse", "none")
    assert sorted(p.name for p in (elsewhere / CACHE_DIR / "parse").iterdir()) == ["k"]
    (book / CACHE_DIR / "parse").unlink()
    (book / CACHE_DIR / "parse").mkdir()
    (book / CACHE_DIR / "parse" / "k").symlink_to(elsewhere / CACHE_DIR / "parse" / "k")
    assert planted.load("parse", "k") is None  # a link to a good entry is still a link
    os.mkfifo(book / CACHE_DIR / "parse" / "pipe")
    assert planted.load("parse", "pipe") is None  # and a pipe is not waited on
    linked_book = tmp_path / "linked"
    linked_book.mkdir()
    (linked_book / CACHE_DIR).symlink_to(elsewhere / CACHE_DIR, target_is_directory=True)
    assert Cache(linked_book, secret=SECRET).load("parse", "k") is None
    Cache(linked_book, secret=SECRET).store("parse", "new", ["ours"])
    assert sorted(p.name for p in (elsewhere / CACHE_DIR / "parse").iterdir()) == ["k"]


def test_keep_only_forgets_the_entries_not_used(cache, tmp_path):
    for key in ("a", "b", "c"):
        cache.store("segments", key, [key])
    (tmp_path / CACHE_DIR / "segments" / "folder").mkdir()
    cache.keep_only("segments", {"b"})
    assert sorted(p.name for p in (tmp_path / CACHE_DIR / "segments").iterdir()) == ["b"]
    cache.keep_only("missing", {"b"})  # no folder: nothing to do


def test_keep_latest_keeps_this_build_and_the_one_before(cache, tmp_path):
    folder = tmp_path / CACHE_DIR / "builds"
    for n, key in enumerate(("oldest", "older", "newer", "current")):
        cache.store("builds", key, [key])
        os.utime(folder / key, (1000 + n, 1000 + n))
    cache.keep_latest("builds", "older")  # the current build's key, whatever its age
    assert sorted(p.name for p in folder.iterdir()) == ["current", "older"]
    cache.keep_latest("missing", "x")


def test_a_folder_or_link_removed_from_the_cache_leaves_what_it_points_at(cache, tmp_path):
    kept = tmp_path / "kept.txt"
    kept.write_text("the author's")
    folder = tmp_path / CACHE_DIR / "segments"
    folder.mkdir(parents=True)
    (folder / "link").symlink_to(kept)
    (folder / "sub").mkdir()
    (folder / "sub" / "f").write_text("x")
    (folder / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    cache.keep_only("segments", set())
    assert list(folder.iterdir()) == [] and kept.read_text() == "the author's"


# --- keys -------------------------------------------------------------------------------------


def test_a_key_is_the_toolchain_and_each_part_with_its_length():
    expected = hashlib.sha256(toolchain_fingerprint())
    for part in (b"ab", "c"):
        data = part if isinstance(part, bytes) else part.encode()
        expected.update(len(data).to_bytes(8, "big") + data)
    assert key_of(b"ab", "c") == expected.hexdigest()
    assert key_of("ab", "c") == key_of(b"ab", b"c")
    assert key_of("a", "bc") != key_of("ab", "c")  # parts are not simply run together


def test_the_books_inputs_key_changes_with_every_input_and_nothing_else(tmp_path):
    book = tmp_path / "book"
    (book / "manuscript" / "images").mkdir(parents=True)
    (book / "metadata.yaml").write_text("title: T\n")
    (book / "manuscript" / "001-a.md").write_text("text")
    (book / "manuscript" / "images" / "a.png").write_bytes(b"png")
    first = book_inputs_key(book, "options")
    assert book_inputs_key(book, "options") == first
    assert book_inputs_key(book, "other options") != first
    (book / "dist").mkdir()
    (book / "dist" / "book.epub").write_bytes(b"output")
    (book / "notes.txt").write_text("not an input")
    assert book_inputs_key(book, "options") == first
    changes = [
        lambda: (book / "manuscript" / "images" / "a.png").write_bytes(b"png2"),
        lambda: (book / "manuscript" / "001-a.md").rename(book / "manuscript" / "001-b.md"),
        lambda: (book / "styles").mkdir() or (book / "styles" / "book.css").write_text("p {}"),
        lambda: (book / "metadata.yaml").write_text("title: U\n"),
    ]
    keys = {first}
    for change in changes:
        change()
        keys.add(book_inputs_key(book, "options"))
    assert len(keys) == len(changes) + 1


# --- the user's secret ------------------------------------------------------------------------


def test_the_secret_is_made_once_in_xdg_cache_home_for_this_user_alone(tmp_path, monkeypatch):
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    secret = user_secret()
    path = home / "bookbuild" / "secret"
    assert secret == path.read_bytes() and len(secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "bookbuild").stat().st_mode) == 0o700
    assert [p.name for p in (home / "bookbuild").iterdir()] == ["secret"]  # no temporary file left
    cache_module._secret_in.cache_clear()
    assert user_secret() == secret  # read again, not made again


def test_a_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    secret = user_secret()
    assert secret == (tmp_path / "home" / ".cache" / "bookbuild" / "secret").read_bytes()
    assert not (tmp_path / "relative").exists()


@pytest.mark.parametrize("damage", ["readable by others", "too short", "too long", "a link", "a folder"])
def test_a_secret_that_is_not_this_users_alone_is_not_used(tmp_path, monkeypatch, damage):
    folder = tmp_path / "cache-home" / "bookbuild"
    folder.mkdir(parents=True)
    path = folder / "secret"
    if damage == "a link":
        (tmp_path / "elsewhere").write_bytes(b"k" * 32)
        os.chmod(tmp_path / "elsewhere", 0o600)
        path.symlink_to(tmp_path / "elsewhere")
    elif damage == "a folder":
        path.mkdir()
    else:
        path.write_bytes({"readable by others": b"k" * 32, "too short": b"k" * 31, "too long": b"k" * 33}[damage])
        os.chmod(path, 0o644 if damage == "readable by others" else 0o600)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    assert user_secret() is None
    assert Cache(tmp_path).secret is None


def test_a_good_secret_made_by_hand_is_used(tmp_path, monkeypatch):
    folder = tmp_path / "cache-home" / "bookbuild"
    folder.mkdir(parents=True)
    (folder / "secret").write_bytes(b"k" * 32)
    os.chmod(folder / "secret", 0o600)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    assert user_secret() == b"k" * 32
    assert Cache(tmp_path).secret == b"k" * 32


def test_no_place_for_a_secret_is_no_secret(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert user_secret() is None


def test_the_json_is_compact_utf_8_and_blobs_follow_each_other(cache, tmp_path):
    cache.store("parse", "k", ["é", b"ab", b"cde", b"f"])
    body = entry(tmp_path, "parse", "k").read_bytes()[len(MAGIC) + 32:]
    size = int.from_bytes(body[:8], "big")
    assert body[8:8 + size] == '["é",{"bytes":[0,2]},{"bytes":[2,3]},{"bytes":[5,1]}]'.encode()
    assert body[8 + size:] == b"abcdef"
    assert cache.load("parse", "k") == ["é", b"ab", b"cde", b"f"]


def test_an_entry_is_written_whole_beside_its_place_then_renamed(cache, tmp_path, monkeypatch):
    renamed = []
    real_replace = os.replace

    def replace(source, target):
        renamed.append((Path(source), Path(source).read_bytes(), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    cache.store("parse", "k", ["value"])
    [(source, data, target)] = renamed
    assert target == entry(tmp_path, "parse", "k") and source.parent == target.parent
    assert source.name.startswith(".partial-") and data == target.read_bytes()


def test_without_xdg_cache_home_the_secret_is_in_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_secret() == (tmp_path / "home" / ".cache" / "bookbuild" / "secret").read_bytes()


def test_a_write_that_fails_leaves_no_partial_entry(cache, tmp_path, monkeypatch):
    """A full disk: the entry is not stored, and its partial copy does not stay to fill it."""
    def full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    cache.store("parse", "k", ["value"])
    assert list(entry(tmp_path, "parse", "k").parent.iterdir()) == []


def test_a_read_only_cache_reads_what_a_build_stored_and_writes_nothing(tmp_path, monkeypatch):
    """`check`'s cache: the entries a build made are read; nothing is stored, pruned or made."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    cache_module._secret_in.cache_clear()
    reader = Cache(tmp_path / "book", read_only=True)
    assert reader.secret is None and not home.exists()  # no secret made for it
    writer = Cache(tmp_path / "book")
    writer.store("parse", "kept", ["value"])
    reader = Cache(tmp_path / "book", read_only=True)
    assert reader.load("parse", "kept") == ["value"]
    reader.store("parse", "new", ["other"])
    reader.keep_only("parse", set())
    reader.keep_latest("parse", "new")
    assert sorted(p.name for p in (tmp_path / "book" / CACHE_DIR / "parse").iterdir()) == ["kept"]
    cache_module._secret_in.cache_clear()
