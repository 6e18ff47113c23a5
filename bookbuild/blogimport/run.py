"""The import, step by step: read the blog, pick the numbered posts, take out the
furniture, turn links between posts into cross-references, bring in the images,
convert to Markdown, and write what the author has not edited since the last import.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from lxml import etree
from lxml import html as lxml_html

from ..ids import slugify
from ..metadata import METADATA_FILE, parse_metadata, read_yaml
from ..model import BookError, Problem, error, raise_if_errors, warning
from ..resources import ResourceRefused, read_inside
from ..sanitize import sanitize
from . import furniture, links, markdown, media
from .images import IMAGES, ImageStore, local_copy
from .posts import PAGE, Blog, Post, numbered_title
from .saved_pages import read_folder
from .wxr import read_wxr

STATE_FILE = ".import-state.json"
MANUSCRIPT = "manuscript"
_CHAPTER_NAME = re.compile(r"^(\d{1,4})(?:[-_. ].*)?\.md$", re.IGNORECASE)  # as gather names chapters
_LONGEST_SLUG = 80
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # no text holds these, and XHTML cannot


ORDERS = {"date": "by publication date, oldest first", "title": "by title", "export": "in the order of the source"}


@dataclass(frozen=True)
class ImportOptions:
    source: Path  # a WordPress export (.xml) or a folder of saved pages and Markdown posts
    book: Path
    media: Path | None = None  # a copy of the blog's uploads folder
    fetch_images: bool = False  # download images found nowhere else (the only network access)
    shown: str = ""  # the source as the author named it, for messages
    order: str = "date"  # how posts without a number in their title are numbered: a key of ORDERS


@dataclass(frozen=True)
class Skipped:
    title: str
    kind: str
    reason: str


@dataclass(frozen=True)
class ImportSummary:
    source: str
    numbered: int  # numbered posts found
    unnumbered: tuple[int, ...] = ()  # the numbers given to posts without one, in the order given
    order: str = "date"
    written: tuple[str, ...] = ()  # new chapters (book-relative paths)
    updated: tuple[str, ...] = ()  # chapters the last import wrote, not edited since, written again
    unchanged: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # edited by the author since the last import (or never imported): left as they are
    skipped: tuple[Skipped, ...] = ()
    images_found: tuple[str, ...] = ()
    images_missing: tuple[str, ...] = ()  # URLs, left in the chapters
    cross_references: int = 0
    recurring: tuple[str, ...] = ()  # paragraphs found in most posts, removed
    media_linked: tuple[str, ...] = ()  # "“post”: YouTube video URL": players and embeds turned into links
    media_dropped: tuple[str, ...] = ()  # "“post”: what": media that could not be kept
    active_removed: int = 0  # scripts, frames, forms, event handlers and the like
    metadata_written: bool = False
    problems: tuple[Problem, ...] = field(default=())
    titles: dict[str, str] = field(default_factory=dict)  # chapter path -> the post's title

    def lines(self) -> list[str]:
        """The summary as the command prints it."""
        def listed(paths: tuple[str, ...]) -> list[str]:
            return [f"    {path}" + (f"  ({self.titles[path]})" if path in self.titles else "") for path in paths]

        out = [f"Imported {self.source}: {self.numbered} numbered post{_s(self.numbered)}"]
        if self.unnumbered:
            first, last = self.unnumbered[0], self.unnumbered[-1]
            others = " or ".join(f"`--order {o}`" for o in ORDERS if o != self.order)
            out += [f"  {len(self.unnumbered)} post{_s(self.unnumbered)} without a number in {'its' if len(self.unnumbered) == 1 else 'their'} "
                    f"title{_s(self.unnumbered)}, numbered {first}{'' if first == last else f' to {last}'} {ORDERS[self.order]} "
                    f"({others} for another order)"]
        out += [f"  {len(self.written)} chapter{_s(self.written)} written"] + listed(self.written)
        out += [f"  {len(self.updated)} chapter{_s(self.updated)} updated (not edited since the last import)"] + listed(self.updated)
        if self.unchanged:
            out += [f"  {len(self.unchanged)} chapter{_s(self.unchanged)} unchanged"]
        out += [f"  {len(self.kept)} chapter{_s(self.kept)} kept as you edited {'them' if len(self.kept) != 1 else 'it'} "
                "(changed since the last import, so not overwritten)"] + listed(self.kept)
        out += [f"  {len(self.skipped)} post{_s(self.skipped)} skipped"] + [
            f"    “{s.title}” ({s.kind}): {s.reason}" for s in self.skipped]
        out += [f"  images: {len(self.images_found)} found, {len(self.images_missing)} missing"
                + (" (left as URLs: `build.py check` lists them)" if self.images_missing else "")] + listed(self.images_missing)
        out += [f"  {self.cross_references} link{_s(self.cross_references)} between posts turned into cross-references"]
        if self.recurring:
            out += [f"  {len(self.recurring)} paragraph{_s(self.recurring)} found in most posts removed as furniture"] + [
                f"    “{text[:70]}{'…' if len(text) > 70 else ''}”" for text in self.recurring]
        if self.media_linked:
            out += [f"  {len(self.media_linked)} video{_s(self.media_linked)}, song{_s(self.media_linked)} or embedded "
                    f"post{_s(self.media_linked)} turned into {'a link' if len(self.media_linked) == 1 else 'links'} "
                    "(with the poster, where the page has one)"] + [f"    {entry}" for entry in self.media_linked]
        if self.media_dropped:
            out += [f"  {len(self.media_dropped)} embed{_s(self.media_dropped)} dropped"] + [f"    {entry}" for entry in self.media_dropped]
        if self.active_removed:
            out += [f"  {self.active_removed} script{_s(self.active_removed)}, frame{_s(self.active_removed)}, "
                    f"form{_s(self.active_removed)} or event handler{_s(self.active_removed)} removed"]
        if self.metadata_written:
            out += [f"  {METADATA_FILE} written from the blog's title, author and language: check it"]
        return out


def _s(count) -> str:
    return "" if (count if isinstance(count, int) else len(count)) == 1 else "s"


@dataclass
class _Chapter:
    """A numbered post on its way to a chapter file."""

    number: int
    title: str  # without the number
    post: Post
    path: str  # book-relative: where it is, or where it will be written
    tree: lxml_html.HtmlElement | None = None
    image: str = ""
    image_alt: str = ""
    image_credit: str = ""
    markdown: str = ""
    media_report: media.MediaReport = field(default_factory=lambda: media.MediaReport())


def import_blog(options: ImportOptions) -> ImportSummary:
    """Import a blog into the book folder; raises BookError when nothing can be imported
    (an unreadable or refused export, a broken ``import-rules.yaml``)."""
    _refuse_folders_leading_out(options.book)
    shown = options.shown or str(options.source)
    blog = _read(options.source, shown)
    rules, rule_problems = furniture.load_rules(options.book)
    raise_if_errors(rule_problems)
    problems = list(blog.problems) + rule_problems
    state = _load_state(options.book, problems)
    chapters, skipped, unnumbered = _choose(blog, options.book, problems, options.order, state.numbers)
    if not chapters:
        raise BookError(problems + [_nothing_to_import(blog, shown)])
    removed: list[str] = []  # what sanitising took out: scripts, frames, forms, handlers

    chapters = _each(chapters, lambda c: _clean(c, rules, removed, problems), skipped, problems)
    recurring = _drop_recurring_paragraphs(chapters)
    store = ImageStore(options.book, options.media, options.fetch_images)
    for chapter in chapters:
        _featured_image(chapter, rules, store)
    cross_references = _link(chapters, problems)
    for chapter in chapters:
        _place_images(chapter, store)
        markdown.plain(chapter.tree)
    chapters = _each(chapters, _convert, skipped, problems, parallel=True)
    if not chapters:
        store.undo()
        raise BookError(problems + [error(shown, 1, 1, "no post could be imported (see the errors above): nothing was written")])
    done = _write(options.book, chapters, state)
    metadata_written = _write_metadata(options.book, blog)

    return ImportSummary(
        source=shown,
        numbered=sum(1 for post in blog.posts if post.kind != PAGE and numbered_title(post.title)),
        unnumbered=unnumbered,
        order=options.order,
        written=done["written"],
        updated=done["updated"],
        unchanged=done["unchanged"],
        kept=done["kept"],
        skipped=tuple(skipped),
        images_found=tuple(dict.fromkeys(store.found)),
        images_missing=tuple(dict.fromkeys(store.missing)),
        cross_references=cross_references,
        recurring=recurring,
        media_linked=tuple(f"“{c.post.title}”: {entry}" for c in chapters for entry in c.media_report.linked),
        media_dropped=tuple(f"“{c.post.title}”: {entry}" for c in chapters for entry in c.media_report.dropped),
        active_removed=len(removed),
        metadata_written=metadata_written,
        problems=tuple(sorted(problems)),
        titles={chapter.path: chapter.post.title for chapter in chapters},
    )


def _each(chapters: list[_Chapter], step, skipped: list[Skipped], problems: list[Problem],
          parallel: bool = False) -> list[_Chapter]:
    """Run one step on each chapter; a post that cannot go through it is reported with its
    title and left out, and the import goes on with the rest."""
    def guarded(chapter: _Chapter) -> bool:
        try:
            step(chapter)
            return True
        except (markdown.ConversionFailed, etree.LxmlError, ValueError) as failure:
            problems.append(error(chapter.post.where, chapter.post.line, 1,
                                  f"post “{chapter.post.title}” could not be imported: {failure}"))
            skipped.append(Skipped(chapter.post.title, chapter.post.kind, "could not be imported (see the error above)"))
            return False

    if parallel:  # pandoc runs as a process of its own: a few posts at a time
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            done = list(pool.map(guarded, chapters))
    else:
        done = [guarded(chapter) for chapter in chapters]
    return [chapter for chapter, ok in zip(chapters, done) if ok]


def _nothing_to_import(blog: Blog, shown: str) -> Problem:
    """Why no chapter would be written, and what to do."""
    pages = sum(1 for post in blog.posts if post.kind == PAGE)
    if pages:
        return error(shown, 1, 1, f"nothing to import: it holds {pages} page{_s(pages)} and no post (pages are not imported); "
                                  "export the blog's posts (WordPress: Tools > Export > Posts), or save the posts' own pages")
    return error(shown, 1, 1, "nothing to import: it holds no post; export the blog's posts (WordPress: Tools > Export > Posts), "
                              "or give a folder of saved posts (.html) or Markdown posts (.md)")


def _drop_recurring_paragraphs(chapters: list[_Chapter]) -> tuple[str, ...]:
    """A paragraph found in most posts (a series blurb) is furniture; returns what went."""
    keys = furniture.recurring_paragraphs([c.tree for c in chapters])
    texts: dict[str, str] = {}
    for chapter in chapters:
        for element in furniture.leaf_blocks(chapter.tree):
            if furniture.paragraph_key(element) in keys:
                texts.setdefault(furniture.paragraph_key(element), furniture.normal_text(element))
        furniture.drop_paragraphs(chapter.tree, keys)
    return tuple(texts.values())


def _link(chapters: list[_Chapter], problems: list[Problem]) -> int:
    """Links between the posts become cross-references; returns how many."""
    index = links.LinkIndex()
    targets = {}
    for chapter in chapters:
        renamed = markdown.heading_ids(chapter.tree)
        ids = frozenset(h.get("id") for h in chapter.tree.iter(*furniture.HEADINGS))
        targets[chapter.number] = links.Chapter(chapter.path.rsplit("/", 1)[-1], ids, renamed)
        index.add([chapter.post.url, *chapter.post.aliases], targets[chapter.number])
    count = 0
    for chapter in chapters:
        report = links.rewrite_links(chapter.tree, chapter.post.url, targets[chapter.number], index)
        count += report.cross_references
        for dropped in report.fragments_dropped:
            problems.append(warning(chapter.post.where, chapter.post.line, 1,
                                    f"post “{chapter.post.title}” links to `{dropped}`, a section that chapter does not have: "
                                    "the link goes to the chapter"))
    return count


def _convert(chapter: _Chapter) -> None:
    chapter.markdown = markdown.to_markdown(chapter.tree)


def _read(source: Path, shown: str) -> Blog:
    if source.is_dir():
        return read_folder(source, shown)
    if not source.is_file():
        raise BookError([error(shown, 1, 1, "no such file or folder")])
    if source.suffix.lower() in (".html", ".htm", ".md", ".markdown"):
        return read_folder(source.parent, str(Path(shown).parent), only=source.name)  # one saved page or post
    return read_wxr(source, shown)


def _choose(blog: Blog, book: Path, problems: list[Problem], order: str,
            remembered: dict[str, int]) -> tuple[list[_Chapter], list[Skipped], tuple[int, ...]]:
    """The numbered posts, one per number (a published post before a draft), then the posts
    without a number, numbered after every number in use, in the ``order`` asked; a post an
    earlier import numbered keeps its number. Pages are skipped. Also returns the numbers
    given to posts without one."""
    existing = _existing_chapters(book)
    chosen: dict[int, _Chapter] = {}
    skipped = []
    unnumbered = []
    for post in sorted(blog.posts, key=lambda p: p.draft):  # stable: published first, then the blog's order
        numbered = numbered_title(post.title)
        if post.kind == PAGE:
            skipped.append(Skipped(post.title, post.kind, "a page, not a post"))
        elif numbered is None:
            unnumbered.append(post)
        elif numbered[0] in chosen:
            other = chosen[numbered[0]].post.title
            skipped.append(Skipped(post.title, post.kind, f"number {numbered[0]} is taken by “{other}”"))
            problems.append(warning(post.where, post.line, 1, f"post “{post.title}” has the same number as “{other}”: "
                                                              "it is not imported (renumber one of them)"))
        else:
            chosen[numbered[0]] = _chapter(numbered[0], numbered[1], post, existing)
    given = []
    later = []
    for post in unnumbered:
        number = remembered.get(post_key(post))
        if number is not None and number not in chosen:
            chosen[number] = _chapter(number, post.title, post, existing)
            given.append(number)
        else:
            later.append(post)
    following = max([*chosen, *existing, *remembered.values()], default=0) + 1
    for post in _in_order(later, order, blog.posts):
        chosen[following] = _chapter(following, post.title or "Untitled", post, existing)
        given.append(following)
        following += 1
    return [chosen[n] for n in sorted(chosen)], skipped, tuple(sorted(given))


def _chapter(number: int, title: str, post: Post, existing: dict[int, str]) -> _Chapter:
    title = _CONTROL.sub("", title)
    slug = _slug(title)
    if slug == "untitled" and post.url:  # a title in another script: the post's address names it
        slug = _slug(unquote(urlsplit(post.url).path.rstrip("/").rsplit("/", 1)[-1]))
    return _Chapter(number, title, post, existing.get(number) or f"{MANUSCRIPT}/{number:03d}-{slug}.md")


def post_key(post: Post) -> str:
    """What tells a post from the others from one import to the next: its address, or its title."""
    return post.url or post.title


def _in_order(posts: list[Post], order: str, source_order: tuple[Post, ...]) -> list[Post]:
    """Posts by publication date (oldest first; undated ones, such as drafts, after them),
    by title, or as the source lists them; ties in the source's order."""
    position = {id(post): n for n, post in enumerate(source_order)}
    if order == "title":
        return sorted(posts, key=lambda p: (p.title.casefold(), position[id(p)]))
    if order == "date":
        return sorted(posts, key=lambda p: (not p.published, p.published, position[id(p)]))
    return sorted(posts, key=lambda p: position[id(p)])


def _slug(title: str) -> str:
    slug = slugify(title) or "untitled"
    if len(slug) > _LONGEST_SLUG:
        slug = slug[:_LONGEST_SLUG].rsplit("-", 1)[0]
    return slug


def _existing_chapters(book: Path) -> dict[int, str]:
    folder = book / MANUSCRIPT
    found: dict[int, str] = {}
    if folder.is_dir():
        for file in sorted(folder.iterdir()):
            match = _CHAPTER_NAME.match(file.name)
            if match and file.is_file():
                found.setdefault(int(match.group(1)), f"{MANUSCRIPT}/{file.name}")
    return found


def _clean(chapter: _Chapter, rules: furniture.Rules, removed: list[str], problems: list[Problem]) -> None:
    """The post's text without furniture, scripts or anything else that runs or fetches."""
    post = chapter.post
    markup = furniture.shortcodes(_CONTROL.sub("", post.html), chapter.media_report.dropped)
    parser = lxml_html.HTMLParser()
    root = lxml_html.fragment_fromstring(markup, create_parent="div", parser=parser) if markup.strip() else lxml_html.Element("div")
    broken = [entry.message for entry in parser.error_log if entry.type_name == "ERR_TAG_NAME_MISMATCH"]
    if broken:
        more = f", and {len(broken) - 1} more" if len(broken) > 1 else ""
        problems.append(warning(post.where, post.line, 1, f"post “{post.title}”: its HTML is malformed ({broken[0]}{more}): "
                                                          "it was read as a browser reads it; check the chapter"))
    media.lazy_images(root)
    media.embeds(root, chapter.media_report)  # before sanitizing, which removes players
    furniture.drop_hidden(root)
    sanitize(root, lambda needle, message: removed.append(message))  # as the build treats raw HTML
    notes = markdown.footnotes(root)  # the notes are text, whatever the rules say of lists after a title
    if notes is not None:
        root.remove(notes)
    markdown.quote_sources(root)
    # The featured image's credit sits right under it, where a theme's header may hold it too.
    chapter.image_credit = furniture.take_credit(root, rules, last=0)
    furniture.clean(root, rules, chapter.post.title)
    media.book_shapes(root)
    if notes is not None:
        root.append(notes)
    chapter.tree = root


def _featured_image(chapter: _Chapter, rules: furniture.Rules, store: ImageStore) -> None:
    """The featured image opens the chapter (``image``), its "Photo by ..." line is its credit."""
    post, root = chapter.post, chapter.tree
    credit = chapter.image_credit or furniture.take_credit(root, rules)
    featured = post.featured
    if featured is None and credit:
        opening = _opening_image(root)  # an image that opens the text, with a credit: the featured image
        if opening is not None:
            img = opening if opening.tag == "img" else opening.find(".//img")
            chapter.image = store.place(img.get("src", ""), post.url, local_copy(img.get("src", ""), post.folder) if post.folder else None)
            chapter.image_alt = img.get("alt", "")
            furniture.drop(opening)
    elif featured is not None:
        chapter.image = store.place(featured.url, post.url, featured.local)
        chapter.image_alt = featured.alt
    caption = ""
    if featured is not None:
        caption, caption_credit = furniture.split_credit(featured.caption, rules)  # "A bike. (Foto: Pixabay / Ines)"
        credit = credit or caption_credit
    chapter.image_credit = credit if chapter.image else ""
    if chapter.image and not chapter.image_alt.strip():  # the caption, the file's title or name, else decorative
        chapter.image_alt = caption or media.alt_text(lxml_html.Element("img", {"src": featured.url if featured else chapter.image}))


def _opening_image(root) -> etree._Element | None:
    """An image before any text (what holds only it, and its caption, goes with it)."""
    for element in root.iter():
        if element.tag != "figcaption" and (element.text or "").strip():
            return None
        if element.tag == "img":
            holder = element
            while holder.getparent() is not None and holder.getparent() is not root and not _text_besides_captions(holder.getparent()):
                holder = holder.getparent()
            return holder
        if element is not root and (element.tail or "").strip() and element.tag != "figcaption":
            return None
    return None


def _text_besides_captions(element) -> bool:
    captions = "".join(caption.text_content() for caption in element.iter("figcaption"))
    return bool(element.text_content().replace(captions, "", 1).strip()) or len(list(element.iter("img"))) > 1


def _place_images(chapter: _Chapter, store: ImageStore) -> None:
    post = chapter.post
    for img in list(chapter.tree.iter("img")):
        candidates = [img.get("src", "").strip(), *(img.get(media.ALTERNATIVES) or "").split("\n")]
        candidates = [c.strip() for c in candidates if c.strip()]
        img.attrib.pop(media.ALTERNATIVES, None)
        if not candidates:
            furniture.drop(img)
            continue
        local = next((found for c in candidates if post.folder and (found := local_copy(c, post.folder))), None)
        src = next((c for c in candidates if local and local_copy(c, post.folder) == local), candidates[0])
        img.set("src", store.place(src, post.url, local, also=candidates[1:]))
        parent = img.getparent()
        if parent is not None and parent.tag == "a" and len(parent) == 1 and not parent.text_content().strip():
            parent.drop_tag()  # a link to the image file itself: the book shows the image


def _refuse_folders_leading_out(book: Path) -> None:
    """The import writes into manuscript/ and manuscript/images/: neither may be a link that
    leads out of the book (the chapters and pictures would land wherever it points)."""
    for folder in (MANUSCRIPT, IMAGES):
        path = book / folder
        if (path.exists() or path.is_symlink()) and not path.resolve().is_relative_to(book.resolve()):
            raise BookError([error(folder, 1, 1, f"{folder}/ is a link to a folder outside the book, and the import "
                                                 "writes only inside the book folder: make it a folder of its own")])


def _write(book: Path, chapters: list[_Chapter], state: _State) -> dict[str, tuple[str, ...]]:
    """Write each chapter unless the author edited it since the last import; remember what was written."""
    done: dict[str, list[str]] = {"written": [], "updated": [], "unchanged": [], "kept": []}
    hashes = dict(state.chapters)
    numbers = dict(state.numbers)
    (book / MANUSCRIPT).mkdir(parents=True, exist_ok=True)
    for chapter in chapters:
        numbers[post_key(chapter.post)] = chapter.number
        text = _chapter_text(chapter)
        file = book / chapter.path
        new_hash = _hash(text.encode("utf-8"))
        if not file.exists():
            _write_file(file, text)
            done["written"].append(chapter.path)
        elif hashes.get(chapter.path) != _hash(_read_or_nothing(book, file)):
            done["kept"].append(chapter.path)
            continue
        elif new_hash == hashes.get(chapter.path):
            done["unchanged"].append(chapter.path)
        else:
            _write_file(file, text)
            done["updated"].append(chapter.path)
        hashes[chapter.path] = new_hash
    _write_file(book / STATE_FILE, json.dumps({"format": 1, "chapters": dict(sorted(hashes.items())),
                                               "numbers": dict(sorted(numbers.items()))}, indent=1, ensure_ascii=False) + "\n")
    return {key: tuple(paths) for key, paths in done.items()}


def _chapter_text(chapter: _Chapter) -> str:
    front: dict[str, object] = {"title": chapter.title}
    if chapter.post.url:
        front["source"] = chapter.post.url
    if chapter.post.published:
        front["published"] = datetime.date.fromisoformat(chapter.post.published)
    if chapter.post.draft:
        front["draft"] = True
    if chapter.image:
        front["image"] = chapter.image
        if chapter.image_alt:
            front["image_alt"] = chapter.image_alt
        if chapter.image_credit:
            front["image_credit"] = chapter.image_credit
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{header}---\n\n{chapter.markdown}"


@dataclass(frozen=True)
class _State:
    """What the last import wrote: chapter path -> SHA-256 of the file, and the number each
    post was given (by its address or title), so that a post without a number in its title
    keeps its chapter from one import to the next."""

    chapters: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)


def _load_state(book: Path, problems: list[Problem]) -> _State:
    """JSON, not pickle: a book folder is not trusted to hold code."""
    file = book / STATE_FILE
    if not file.exists():
        return _State()
    try:
        data = json.loads(read_inside(book, file).decode("utf-8"))
        chapters, numbers = data["chapters"], data.get("numbers", {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in chapters.items()):
            raise ValueError("entries are not text")
        if not all(isinstance(k, str) and type(v) is int and v > 0 for k, v in numbers.items()):
            raise ValueError("numbers are not numbers")
        return _State(dict(chapters), dict(numbers))
    except (ValueError, KeyError, TypeError, AttributeError) as failure:  # ResourceRefused too
        problems.append(warning(STATE_FILE, 1, 1, f"cannot be read ({failure}): every existing chapter is kept as it is"))
        return _State()


def _write_metadata(book: Path, blog: Blog) -> bool:
    """metadata.yaml from the blog's title, author and language, when the book has none."""
    file = book / METADATA_FILE
    if file.exists():
        return False
    fields = {"title": blog.title or "Imported blog", "author": blog.author or "Unknown author",
              "language": blog.language.replace("_", "-") or "en"}
    doc, problems = read_yaml(yaml.safe_dump(fields, allow_unicode=True, sort_keys=False), METADATA_FILE)
    if doc is None or parse_metadata(doc, METADATA_FILE, problems)[0] is None:
        fields["language"] = "en"  # the blog's was no BCP 47 tag
    _write_file(file, yaml.safe_dump(fields, allow_unicode=True, sort_keys=False))
    return True


def _write_file(file: Path, text: str) -> None:
    temporary = file.with_name(f".{file.name}.import-tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(file)


def _read_or_nothing(book: Path, file: Path) -> bytes:
    """A chapter's bytes; nothing for one that is not a plain file of the book (a link out,
    a pipe): the author's, then, and kept."""
    try:
        return read_inside(book, file)
    except ResourceRefused:
        return b""


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
