"""Compare main-text extractors on the import test fixtures (tests/import/saved/*.html).

For each extractor: how many of the articles' headings, list items, table cells,
figures, footnotes, links, quotes and key paragraphs it kept (each looked for by its
own text, in the element it belongs in), and which furniture phrases it let through.
Run: python bench/import_extractors.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import html as lxml_html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SAVED = Path(__file__).resolve().parent.parent / "tests" / "import" / "saved"

# What the articles hold, each as (XPath of the element it must be in, text it contains).
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "headings": [("//h2|//h3|//h4", t) for t in (
        "What you will ride", "What it costs", "Final thoughts", "Be seen, not just lit", "Stopping distances",
        "Dressing for it", "Pressure", "Width")],
    "heading ids": [("//h2/@id|//h3/@id", i) for i in (  # what links with a #fragment land on
        "what-you-will-ride", "what-it-costs", "final-thoughts", "be-seen", "stopping", "dressing", "pressure", "width")],
    "list items": [("//li", t) for t in (
        "A steady front beam", "A rear light that can be seen", "Reflective bands", "Mudguards, full length",
        "A waterproof jacket", "Overshoes")],
    "table cells": [("//td|//th", t) for t in (
        "Bike", "Price", "Days ridden a year", "Light road bike", "£900", "40", "Hybrid with a rack", "£550", "190",
        "Secondhand steel tourer", "£300", "220")],
    "figures": [("//img[contains(@src,'wet-road')]/@src", "wet-road"), ("//figcaption", "The same junction"),
                ("//img[contains(@src,'blue-bike')]/@src", "blue-bike")],
    "footnotes": [("//sup", "1"), ("//li|//p|//aside|//div", "Counted from a paper calendar")],
    "links": [("//a/@href", h) for h in (
        "lights-are-not-optional", "?p=13", "buy-the-bike-you-will-ride/#final-thoughts", "?p=12#be-seen",
        "why-i-started", "tyres-matter-more", "buy-the-bike-you-will-ride", "rain-changes-everything/#stopping")],
    "quotes": [("//blockquote", "still in the rack"), ("//blockquote//cite|//blockquote", "A mechanic who trued")],
    "paragraphs": [("//p|//div", t) for t in (
        "featherweight road machine", "single blinking light", "Rain does not only make you wet", "cable lock slows",
        "next best money", "Buy for the commute you have")],
}
FURNITURE = ("Share this", "Like this", "Related", "Leave a Reply", "Get articles when they", "About the author",
             "Recent Posts", "Proudly powered", "Skip to content", "View all of", "Great post", "Previous post",
             "In this article", "Photo by", "I'm writing about 100 things", "You might also like", "Read more",
             "Spring offer", "uses cookies", "Ride with me", "Home › Lessons")


def with_trafilatura(markup: str):
    import trafilatura  # not a dependency of the toolchain: pip install trafilatura==2.3.1 to run this comparison

    out = trafilatura.extract(markup, output_format="html", include_formatting=True, include_links=True,
                              include_images=True, include_tables=True, include_comments=False)
    return lxml_html.fromstring(out or "<div></div>")


def with_readability(markup: str):
    from readability import Document

    return lxml_html.fromstring(Document(markup).summary(html_partial=True))


def with_region(markup: str):
    """What the import takes from a page: readability finds the article, the page's own markup of it is kept."""
    from bookbuild.blogimport.furniture import main_text

    return main_text(lxml_html.document_fromstring(markup))


def imported_posts() -> list:
    """The import's own steps on the saved pages, up to its furniture rules (recurring
    paragraphs aside): the text, with the featured image it takes from the page."""
    from bookbuild.blogimport.furniture import load_rules
    from bookbuild.blogimport.run import _Chapter, _clean
    from bookbuild.blogimport.saved_pages import read_folder

    rules, _ = load_rules(Path("/nonexistent"))
    trees = []
    for post in read_folder(SAVED, "saved").posts:
        if post.where.endswith(".md"):
            continue
        chapter = _Chapter(0, post.title, post, "")
        _clean(chapter, rules, [], [])
        tree = chapter.tree
        if post.featured:
            tree.append(lxml_html.Element("img", src=post.featured.url))
        trees.append(tree)
    return trees


def found(trees, path: str, text: str) -> bool:
    for tree in trees:
        for hit in tree.xpath(path):
            value = hit if isinstance(hit, str) else " ".join(hit.text_content().split())
            if text in value:
                return True
    return False


def main() -> int:
    pages = [p.read_text(encoding="utf-8") for p in sorted(SAVED.glob("*.html"))]
    results = {}
    extractors = [("trafilatura", with_trafilatura), ("readability-lxml", with_readability), ("located region", with_region)]
    for label, extract in extractors + [("the import", None)]:
        trees = [extract(markup) for markup in pages] if extract else imported_posts()
        kept = {kind: [t for path, t in wanted if found(trees, path, t)] for kind, wanted in EXPECTED.items()}
        text = " ".join(" ".join(tree.text_content().split()) for tree in trees).lower()
        leaked = [phrase for phrase in FURNITURE if phrase.lower() in text]
        results[label] = (kept, leaked)
    print(f"{'kept of':<14}" + "".join(f"{label:>20}" for label in results))
    for kind, wanted in EXPECTED.items():
        print(f"{kind:<14}" + "".join(f"{len(kept[kind]):>17}/{len(wanted):<2}" for kept, _ in results.values()))
    for label, (kept, leaked) in results.items():
        lost = {kind: [t for _, t in wanted if t not in kept[kind]] for kind, wanted in EXPECTED.items()}
        print(f"\n{label} lost: " + "; ".join(f"{kind}: {', '.join(items)}" for kind, items in lost.items() if items))
        print(f"{label} let through {len(leaked)} furniture phrases: {', '.join(leaked)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
