#!/usr/bin/env python3
"""Generate a synthetic book in the BOOK-FORMAT layout, deterministically.

    python bench/make_book.py OUTDIR --chapters N --words W --seed S [--force]

W is the total number of words in the chapters (front and back matter add a few
hundred more), spread over the chapters with some variation. The same arguments
always give byte-identical files (the PNGs too, for a given Pillow version).

What a book holds: metadata.yaml; manuscript/NNN-slug.md chapters numbered from 1
with gaps (three digits; four once past 999); manuscript/front/01-introduction.md;
manuscript/back/01-about.md; manuscript/images/ with three PNGs made with Pillow.
The prose is English-like nonsense made from the word lists and sentence templates
below: paragraphs of varying length, 2-4 `##` sections per chapter ("Final thoughts"
closes some of them; some headings carry an explicit `{#id}`), the odd `###`, bullet
and numbered lists, block quotes, code blocks, italic, bold, bold italic and code words
(every face of the theme), figures in the text, footnotes, web links to example.org, a
few figures, one opening image with alt text and credit, the odd small table, and
two or three cross-references per chapter to chapters and section ids that exist,
cycling through every form of the contract:
`[[N]]`, `[[N#id]]`, `[[N|text]]`, `[text](NNN-slug.md)`, `[text](NNN-slug.md#id)`,
`[](NNN-slug.md)` and `[text](#id)`.

At about 1,500 words a chapter, 100 chapters make about 450-500 pages at 6x9in.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path

# --- vocabulary (written for this generator) --------------------------------------

NOUNS = [
    ("habit", "habits"), ("garden", "gardens"), ("kitchen", "kitchens"), ("morning", "mornings"),
    ("window", "windows"), ("letter", "letters"), ("question", "questions"), ("answer", "answers"),
    ("problem", "problems"), ("idea", "ideas"), ("plan", "plans"), ("mistake", "mistakes"),
    ("friend", "friends"), ("neighbour", "neighbours"), ("teacher", "teachers"), ("journey", "journeys"),
    ("road", "roads"), ("river", "rivers"), ("bridge", "bridges"), ("tool", "tools"),
    ("notebook", "notebooks"), ("lesson", "lessons"), ("meeting", "meetings"), ("project", "projects"),
    ("budget", "budgets"), ("deadline", "deadlines"), ("draft", "drafts"), ("story", "stories"),
    ("detail", "details"), ("pattern", "patterns"), ("routine", "routines"), ("decision", "decisions"),
    ("list", "lists"), ("shelf", "shelves"), ("box", "boxes"), ("map", "maps"),
    ("clock", "clocks"), ("season", "seasons"), ("storm", "storms"), ("harvest", "harvests"),
    ("recipe", "recipes"), ("workshop", "workshops"), ("hammer", "hammers"), ("ladder", "ladders"),
    ("engine", "engines"), ("bicycle", "bicycles"), ("city", "cities"), ("village", "villages"),
    ("market", "markets"), ("customer", "customers"), ("colleague", "colleagues"), ("manager", "managers"),
    ("parent", "parents"), ("skill", "skills"), ("instinct", "instincts"), ("rule", "rules"),
    ("exception", "exceptions"), ("choice", "choices"), ("promise", "promises"), ("conversation", "conversations"),
    ("argument", "arguments"), ("surprise", "surprises"), ("shortcut", "shortcuts"), ("margin", "margins"),
    ("reason", "reasons"), ("result", "results"), ("signal", "signals"), ("warning", "warnings"),
    ("weekend", "weekends"), ("afternoon", "afternoons"), ("evening", "evenings"), ("cupboard", "cupboards"),
    ("doorway", "doorways"), ("staircase", "staircases"), ("library", "libraries"), ("painting", "paintings"),
    ("sketch", "sketches"), ("machine", "machines"), ("spreadsheet", "spreadsheets"), ("invoice", "invoices"),
    ("apprentice", "apprentices"), ("expert", "experts"), ("beginner", "beginners"), ("stranger", "strangers"),
    ("experiment", "experiments"), ("estimate", "estimates"), ("checklist", "checklists"), ("instrument", "instruments"),
    ("orchard", "orchards"), ("kettle", "kettles"), ("lantern", "lanterns"), ("compass", "compasses"),
    ("harbour", "harbours"), ("ticket", "tickets"), ("suitcase", "suitcases"), ("umbrella", "umbrellas"),
]

ADJECTIVES = [
    "quiet", "careful", "stubborn", "patient", "small", "honest", "ordinary", "useful", "awkward",
    "generous", "simple", "difficult", "obvious", "gentle", "narrow", "steady", "brittle", "bright",
    "crowded", "empty", "familiar", "hidden", "sudden", "reliable", "fragile", "practical", "clumsy",
    "tidy", "messy", "modest", "curious", "expensive", "cheap", "early", "late", "slow", "quick",
    "rough", "smooth", "heavy", "warm", "cold", "tired", "hopeful", "nervous", "clever", "strange",
    "sensible", "reasonable", "remarkable", "unfinished", "forgotten", "borrowed", "second-hand",
    "old", "new", "long", "short", "crooked", "polite", "noisy", "gloomy", "cheerful", "unlikely",
]

VERBS = [  # base, third person singular, past
    ("keep", "keeps", "kept"), ("build", "builds", "built"), ("carry", "carries", "carried"),
    ("notice", "notices", "noticed"), ("measure", "measures", "measured"), ("repair", "repairs", "repaired"),
    ("borrow", "borrows", "borrowed"), ("forget", "forgets", "forgot"), ("change", "changes", "changed"),
    ("follow", "follows", "followed"), ("ignore", "ignores", "ignored"), ("explain", "explains", "explained"),
    ("finish", "finishes", "finished"), ("choose", "chooses", "chose"), ("write", "writes", "wrote"),
    ("read", "reads", "read"), ("fix", "fixes", "fixed"), ("lose", "loses", "lost"), ("find", "finds", "found"),
    ("test", "tests", "tested"), ("check", "checks", "checked"), ("sharpen", "sharpens", "sharpened"),
    ("simplify", "simplifies", "simplified"), ("repeat", "repeats", "repeated"), ("teach", "teaches", "taught"),
    ("move", "moves", "moved"), ("open", "opens", "opened"), ("clean", "cleans", "cleaned"),
    ("share", "shares", "shared"), ("count", "counts", "counted"), ("sort", "sorts", "sorted"),
    ("trust", "trusts", "trusted"), ("protect", "protects", "protected"), ("prepare", "prepares", "prepared"),
    ("abandon", "abandons", "abandoned"), ("rescue", "rescues", "rescued"), ("paint", "paints", "painted"),
    ("hide", "hides", "hid"), ("mend", "mends", "mended"), ("weigh", "weighs", "weighed"),
    ("polish", "polishes", "polished"), ("question", "questions", "questioned"), ("lend", "lends", "lent"),
]

ADVERBS = [
    "quietly", "carefully", "slowly", "rarely", "usually", "often", "sometimes", "gradually",
    "suddenly", "eventually", "honestly", "patiently", "quickly", "gently", "firmly", "reluctantly",
    "cheerfully", "deliberately", "occasionally", "properly", "twice", "again",
]

PREPOSITIONS = ["beside", "behind", "under", "near", "across", "inside", "above", "around", "after", "before"]

OPENERS = [
    "In practice,", "Oddly enough,", "Of course,", "For a long time,", "Looking back,",
    "More often than not,", "To be fair,", "As a rule,", "Sooner or later,", "Even so,",
    "At first,", "In the end,", "Admittedly,", "On a good day,", "Strangely,",
]

TIMES = [
    "every morning", "on a wet Tuesday", "after a long week", "before lunch", "by the end of the month",
    "in the spring", "last year", "for the first time", "in the middle of winter", "twice a week",
    "on Sunday evenings", "when nobody was looking", "at the last minute", "over the summer",
]

PEOPLE_ONE = [
    "my neighbour", "a friend of mine", "one colleague", "my grandmother", "the manager",
    "a patient teacher", "an old apprentice", "the woman next door", "my uncle", "a stranger on the train",
]

PEOPLE_MANY = ["most beginners", "experienced people", "the best teachers I know", "my colleagues", "most of us", "other people"]

FIRST_NAMES = ["Ada", "Rowan", "Imogen", "Tobias", "Harriet", "Felix", "Maren", "Oliver", "Nell", "Casimir"]
LAST_NAMES = ["Ashdown", "Pemberly", "Wickham", "Thorne", "Callaway", "Brightwater", "Fenwick", "Holloway"]

SENTENCES = [
    "{Opener} {the_n} {vs} {the_n2} {adv}.",
    "{Person1} once told me that {a_n} is only as {adj} as {the_n2} behind it.",
    "I {ved} {the_n} {time}, and it {ved2} {the_ns} for weeks.",
    "The {adj} {n} rarely {vs} the {n2} you expect.",
    "If you {v} {the_ns} {adv}, {the_ns2} will {v2} themselves.",
    "Nobody {vs} {a_adj_n} on purpose.",
    "That was the {adj} part.",
    "{Time}, I {ved} {the_ns} and {ved2} the rest.",
    "It is easier to {v} {a_n} than to {v2} {the_ns} that come after it.",
    "Most {ns} are {adj} until somebody {vs} them.",
    "{Person1} {ved} {a_adj_n} {prep} {the_n}, and nobody {ved2} a thing.",
    "Why would anyone {v} {the_n} {time}?",
    "Keep {the_ns} {adj}; {v} {the_ns2} {adv}.",
    "There is no {adj} way to {v} {a_n}, only a {adj2} one.",
    "The {n} was {adj}, the {n2} was {adj2}, and the {n3} was {adj3}.",
    "{Opener} {people} {v} the {ns} {prep} the {n} {time}.",
    "Some {ns} {v} {adv}; others never {v2} at all.",
    "I still {v} {the_n} {time}, although {the_n2} {ved} twice since then.",
    "Ask {person1} about {the_n} and you will hear about {the_ns} for an hour.",
    "{A_adj_n} and {a_adj_n2} are not the same thing.",
    "Write down {the_n} before you {v} {the_n2}.",
    "{People} {v} {the_ns} long before they {v2} {the_n}.",
    "It took me years to {v} {the_n}, and about a minute to {v2} it again.",
    "What matters is not {the_n} but {the_n2}.",
    "{Opener} it was {a_adj_n} that {ved} everything.",
    "You can {v} {a_n} {adv}, or you can {v2} it {adv2}; you cannot do both.",
    "The answer, as usual, was {prep} the {n}.",
    "Somewhere {prep} the {n} there is always {a_adj_n} waiting to be {vpp}.",
    "I {ved} {the_ns} {adv} and then {ved2} {the_n} {time}.",
    "That {n} {ved} me more than any {n2} ever did.",
]

QUOTE_SENTENCES = [
    "A {adj} {n} is worth more than {a_adj_n2} you never {ved}.",
    "Nobody remembers the {n}; everybody remembers the {n2}.",
    "{V} the {n} first, and the {ns2} will follow.",
    "The {adj} {ns} are the ones you {v} {time}.",
]

SECTION_TITLES = [
    "The {adj} {n}", "When {ns} {v}", "{Adj} {ns} and {adj2} {ns2}", "Why {the_n} matters",
    "{Adv} does it", "What the {n} taught me", "Don't {v} the {n}", "A note on {ns}",
    "Keeping {ns} {adj}", "Before you {v} {a_n}", "The trouble with {ns}", "{Ns}, {ns2} and {ns3}",
]

CHAPTER_TITLES = [
    "{V} the {n} before the {n2}", "{Adj} {ns} last longer", "Nobody {vs} the {n} twice",
    "The {n} is never {adj}", "{V} {ns} {adv}", "Every {n} needs {a_n2}", "Trust the {adj} {n}",
    "{Ns} are {adj}", "When in doubt, {v} the {n}", "The {adj} {n} wins",
    "Learn to {v} {ns}", "{A_adj_n} is enough", "Let the {n} {v} itself", "Small {ns}, {adj} {ns2}",
]

LIST_ITEMS = [
    "{V} the {n} {adv}.", "{A_adj_n}, if you can find one.", "Never {v} {the_ns} {time}.",
    "**{Adj} {ns}**: {v} them {adv}.", "{A_n} {prep} the {n2}.", "{V} {the_n} and {v2} {the_n2}.",
    "The {adj} {n}, which {vs} more than it seems.", "*{Adj}* {ns} only.",
]


class Words:
    """Fills sentence templates from the vocabulary with one seeded random source."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def fill(self, template: str) -> str:
        used: dict[str, str] = {}

        def pick(match: re.Match) -> str:
            key = match.group(1)
            if key not in used:
                used[key] = self.word(key.rstrip("0123456789").lower())
            value = used[key]
            return value[0].upper() + value[1:] if key[0].isupper() else value

        return re.sub(r"\{([A-Za-z_]+\d?)\}", pick, template)

    def word(self, kind: str) -> str:
        r = self.rng
        if kind == "n":
            return r.choice(NOUNS)[0]
        if kind == "ns":
            return r.choice(NOUNS)[1]
        if kind == "adj":
            return r.choice(ADJECTIVES)
        if kind == "adv":
            return r.choice(ADVERBS)
        if kind == "v":
            return r.choice(VERBS)[0]
        if kind == "vs":
            return r.choice(VERBS)[1]
        if kind in ("ved", "vpp"):
            return r.choice(VERBS)[2]
        if kind == "prep":
            return r.choice(PREPOSITIONS)
        if kind == "opener":
            return r.choice(OPENERS)
        if kind == "time":
            return r.choice(TIMES)
        if kind == "person":
            return r.choice(PEOPLE_ONE)
        if kind == "people":
            return r.choice(PEOPLE_MANY)
        if kind == "a_n":
            return article(r.choice(NOUNS)[0])
        if kind == "a_adj_n":
            return article(f"{r.choice(ADJECTIVES)} {r.choice(NOUNS)[0]}")
        if kind == "the_n":
            return r.choice(["the {}", "my {}", "every {}", "this {}", "the {a} {}", "that {}"]).format(
                r.choice(NOUNS)[0], a=r.choice(ADJECTIVES))
        if kind == "the_ns":
            return r.choice(["the {}", "my {}", "most {}", "those {a} {}", "the {a} {}", "{}"]).format(
                r.choice(NOUNS)[1], a=r.choice(ADJECTIVES))
        raise KeyError(kind)


def article(phrase: str) -> str:
    lower = phrase.lower()
    vowel = lower[0] in "aeio" or lower.startswith(("un", "ug", "hon", "hour")) or (
        lower[0] == "u" and not lower.startswith(("use", "usu", "uni")))
    return ("an " if vowel else "a ") + phrase


def pandoc_id(text: str) -> str:
    """pandoc's auto_identifiers: drop markup, keep alphanumerics, '_', '-', '.'; spaces to '-'."""
    text = re.sub(r"[*_`]", lambda m: "_" if m.group(0) == "_" else "", text)
    text = re.sub(r"[^\w\s.-]", "", text.lower())  # \w keeps letters, digits and '_'
    text = re.sub(r"\s+", "-", text.strip())
    text = re.sub(r"^[^a-z]+", "", text)  # identifiers start with a letter
    return text or "section"


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower().replace("'", "")).strip("-")


def yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def word_count(markdown: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", markdown))


# --- the plan: chapters, titles and sections, decided before any prose ------------

class Section:
    def __init__(self, title: str, explicit_id: str | None):
        self.title = title
        self.explicit_id = explicit_id
        self.id = explicit_id or pandoc_id(title)

    def heading(self) -> str:
        return f"## {self.title}" + (f" {{#{self.explicit_id}}}" if self.explicit_id else "")


class Chapter:
    def __init__(self, number: int, title: str, words: int):
        self.number = number
        self.title = title
        self.slug = slugify(title)
        self.file = f"{number:03d}-{self.slug}.md"
        self.words = words
        self.sections: list[Section] = []
        self.subtitle: str | None = None
        self.opening_image: str | None = None
        self.figure: str | None = None
        self.table = False


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
XREF_FORMS = ("wiki", "wiki-id", "wiki-text", "md", "md-id", "md-empty", "local")


def plan_book(rng: random.Random, words: Words, chapters: int, total_words: int) -> list[Chapter]:
    # Numbers from 1 with gaps: three digits while they fit below 1000.
    spare = max(0, 999 - chapters)
    skips = min(spare, max(1, chapters // 5))
    numbers, number = [], 0
    for index in range(chapters):
        number += 1
        remaining = chapters - index
        if index > 0 and skips > 0 and rng.random() < max(0.2, skips / remaining):
            step = rng.randint(1, min(3, skips))
            number += step
            skips -= step
        numbers.append(number)
    weights = [rng.uniform(0.6, 1.4) for _ in range(chapters)]
    scale = total_words / sum(weights)
    plan, titles = [], set()
    for number, weight in zip(numbers, weights):
        for _ in range(50):
            title = words.fill(rng.choice(CHAPTER_TITLES))
            if title not in titles:
                break
        titles.add(title)
        chapter = Chapter(number, title, max(120, round(weight * scale)))
        if rng.random() < 0.2:
            chapter.subtitle = words.fill(rng.choice(["On {ns} and {ns2}", "A lesson about {ns}", "Or: why I {ved} the {n}"]))
        count = rng.randint(2, 4)
        used: set[str] = set()
        for k in range(count):
            last = k == count - 1
            if last and rng.random() < 0.5:
                section = Section("Final thoughts", None)
            else:
                for _ in range(50):
                    title = words.fill(rng.choice(SECTION_TITLES))
                    explicit = None
                    if rng.random() < 0.15:
                        explicit = "s-" + pandoc_id(words.word("n") + " " + words.word("adj"))
                    section = Section(title, explicit)
                    if section.id not in used and section.id != "final-thoughts":
                        break
            used.add(section.id)
            chapter.sections.append(section)
        plan.append(chapter)
    # Images: one opening image, a few figures.
    if chapters >= 2:
        plan[1].opening_image = "images/opening-circle.png"
    for chapter in rng.sample(plan, min(len(plan), max(2, chapters // 12))):
        chapter.figure = rng.choice(["images/figure-square.png", "images/figure-triangle.png"])
    for chapter in rng.sample(plan, max(1, chapters // 10)):
        chapter.table = True
    return plan


# --- the prose -------------------------------------------------------------------

class ChapterWriter:
    def __init__(self, rng: random.Random, words: Words, plan: list[Chapter], index: int, form_start: int):
        self.rng, self.words, self.plan, self.index = rng, words, plan, index
        self.chapter = plan[index]
        self.notes: list[str] = []
        self.form_start = form_start

    def sentence(self, templates=SENTENCES) -> str:
        r = self.rng
        text = self.words.fill(r.choice(templates))
        # Every face of the theme: italic, bold, bold italic and monospace on the odd word.
        for chance, mark in ((0.08, "*{}*"), (0.03, "**{}**"), (0.015, "***{}***"), (0.02, "`{}`")):
            if r.random() < chance:
                parts = text.split(" ")
                i = r.randrange(len(parts))
                if re.fullmatch(r"[a-z]+", parts[i]):
                    parts[i] = mark.format(parts[i])
                text = " ".join(parts)
        if r.random() < 0.04:  # figures in the text: ranges, dates, counts
            low = r.randint(1, 28)
            text += r.choice([f" It took {low}-{low + r.randint(1, 9)} {r.choice(('days', 'weeks', 'years'))}.",
                              f" That was on {low} {r.choice(MONTHS)} {r.randint(1990, 2029)}.",
                              f" About {r.randint(10, 9999)} of them were left."])
        return text

    def paragraph(self, sentences: int) -> str:
        out = [self.sentence() for _ in range(sentences)]
        r = self.rng
        if r.random() < 0.1:
            n = self.words.word("n")
            out.insert(r.randrange(len(out) + 1),
                       f"There is {article(self.words.word('adj'))} [note on {n}s](https://example.org/notes/{n}) if you want more.")
        if r.random() < 0.12 and len(self.notes) < 4:
            self.notes.append(" ".join(self.sentence() for _ in range(r.randint(1, 2))))
            i = r.randrange(len(out))
            out[i] = out[i] + f"[^{len(self.notes)}]"
        return " ".join(out)

    def xref(self, form: str) -> str:
        r, ch = self.rng, self.chapter
        others = [c for i, c in enumerate(self.plan) if i != self.index] or [ch]
        target = r.choice(others)
        section = r.choice(target.sections)
        w = self.words
        if form == "wiki":
            return f"I wrote about this in [[{target.number}]]."
        if form == "wiki-id":
            return f"See [[{target.number}#{section.id}]] for the {w.word('adj')} details."
        if form == "wiki-text":
            return f"That is the whole point of [[{target.number}|the chapter on {w.word('ns')}]]."
        if form == "md":
            return f'["{target.title}"]({target.file}) covers the rest.'
        if form == "md-id":
            return f"It is described in [the section on {w.word('ns')}]({target.file}#{section.id}), {w.word('adv')}."
        if form == "md-empty":
            return f"[]({target.file}) says more about {w.word('the_ns')}."
        local = r.choice(ch.sections)
        return f"We come back to this in [the part about {w.word('ns')}](#{local.id})."

    def write(self) -> str:
        r, ch, w = self.rng, self.chapter, self.words
        blocks: list[str] = []
        budget = ch.words
        # Two or three cross-references, cycling through every form across the book.
        forms = [XREF_FORMS[(self.form_start + k) % len(XREF_FORMS)] for k in range(r.randint(2, 3))]
        xrefs = [self.xref(form) for form in forms]
        # Introductory paragraphs, then the sections, sharing out the word budget.
        shares = [r.uniform(0.6, 1.4) for _ in range(len(ch.sections) + 1)]
        shares[0] *= 0.5
        total = sum(shares)
        targets = [max(40, round(0.95 * budget * s / total)) for s in shares]  # blocks overshoot by about 5%
        extras = ["list", "olist", "quote", "code"]
        r.shuffle(extras)
        for part, target in enumerate(targets):
            if part > 0:
                blocks.append(ch.sections[part - 1].heading())
            written = 0
            first = True
            while target - written > 12 or first:
                choice = r.random()
                if not first and extras and choice < 0.18:
                    block = self.extra(extras.pop())
                elif not first and ch.figure and choice < 0.25:
                    alt = w.fill("A {adj} shape drawn in one flat colour, standing in for {a_n}")
                    block = f"![{alt}]({ch.figure})"
                    ch.figure = None
                elif not first and ch.table and choice < 0.3:
                    block = self.table()
                    ch.table = False
                elif not first and choice < 0.33 and target - written > 200:
                    block = "### " + w.fill(r.choice(SECTION_TITLES))
                else:
                    block = self.paragraph(self.paragraph_length(target - written))
                first = False
                if xrefs and block[0].isalpha() and not block.startswith("###") and r.random() < 0.5:
                    block = block + " " + xrefs.pop()
                blocks.append(block)
                written += word_count(block)
        if xrefs:  # whatever did not find a place goes into one last paragraph
            blocks.append(self.paragraph(2) + " " + " ".join(xrefs))
        for n, note in enumerate(self.notes, start=1):
            blocks.append(f"[^{n}]: {note}")
        front = ["---", f"title: {yaml_string(ch.title)}"]
        if ch.subtitle:
            front.append(f"subtitle: {yaml_string(ch.subtitle)}")
        if ch.opening_image:
            front += [
                f"image: {ch.opening_image}",
                f"image_alt: {yaml_string('A large flat circle on a pale background, the opening image of this chapter')}",
                f"image_credit: {yaml_string('Drawing generated by bench/make_book.py')}",
            ]
        front.append("---")
        return "\n".join(front) + "\n\n" + "\n\n".join(blocks) + "\n"

    def paragraph_length(self, left: int) -> int:
        r = self.rng
        n = r.choice([1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10])
        return max(1, min(n, left // 12 + 1))

    def extra(self, kind: str) -> str:
        r, w = self.rng, self.words
        if kind == "quote":
            lines = [w.fill(r.choice(QUOTE_SENTENCES)) for _ in range(r.randint(1, 3))]
            return "> " + " ".join(lines)
        if kind == "code":
            lines = [f"{w.word('n')}_count = {r.randint(0, 99)}  # {w.word('adj')}" for _ in range(r.randint(2, 4))]
            return "```\n" + "\n".join(lines) + "\n```"
        items = [w.fill(r.choice(LIST_ITEMS)) for _ in range(r.randint(3, 6))]
        if kind == "olist":
            return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))
        return "\n".join(f"- {item}" for item in items)

    def table(self) -> str:
        w, r = self.words, self.rng
        rows = ["| Thing | How often | Notes |", "| --- | --- | --- |"]
        for _ in range(r.randint(3, 5)):
            rows.append(f"| {w.fill('{Adj} {ns}')} | {w.word('time')} | {w.fill('{V} them {adv}')} |")
        return "\n".join(rows) + "\n\n: " + w.fill("What to do with {ns}")


# --- images ------------------------------------------------------------------------

def make_images(folder: Path) -> None:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    # Large enough to print at 300 ppi at the theme's sizes (a full-width figure is 4.65in,
    # an opening image at most 3in high); solid colours keep the files to a few KB.
    shapes = [
        ("opening-circle.png", (1500, 900), (236, 229, 214), lambda d: d.ellipse((450, 150, 1050, 750), fill=(122, 75, 42))),
        ("figure-square.png", (1500, 1000), (224, 232, 240), lambda d: d.rectangle((470, 220, 1030, 780), fill=(46, 94, 140))),
        ("figure-triangle.png", (1500, 1000), (236, 240, 226), lambda d: d.polygon([(750, 150), (1220, 840), (280, 840)], fill=(86, 120, 52))),
    ]
    for name, size, background, draw in shapes:
        image = Image.new("RGB", size, background)
        draw(ImageDraw.Draw(image))
        image.save(folder / name, format="PNG", optimize=False)


# --- the book ------------------------------------------------------------------------

def make_book(out: Path, chapters: int, total_words: int, seed: int) -> list[Chapter]:
    rng = random.Random(seed)
    words = Words(rng)
    plan = plan_book(rng, words, chapters, total_words)
    manuscript = out / "manuscript"
    for folder in (manuscript / "front", manuscript / "back"):
        folder.mkdir(parents=True, exist_ok=True)
    make_images(manuscript / "images")

    topic = words.word("ns")
    title = f"{chapters} Small Lessons About {topic.capitalize()}"
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    write(out / "metadata.yaml", "\n".join([
        f"title: {yaml_string(title)}",
        f"subtitle: {yaml_string(f'A synthetic book (seed {seed})')}",
        f"author: {yaml_string(author)}",
        "language: en-GB",
        "date: 2026-01-15",
        f"publisher: {yaml_string('Benchmark Press')}",
        f"rights: {yaml_string(f'© 2026 {author}. Generated text; no rights reserved.')}",
        f"description: {yaml_string(f'A generated book of {chapters} chapters for measuring the build.')}",
        "",
    ]))

    for index, chapter in enumerate(plan):
        writer = ChapterWriter(rng, words, plan, index, form_start=index * 3)
        write(manuscript / chapter.file, writer.write())

    first, last = plan[0], plan[-1]
    middle = plan[len(plan) // 2]
    intro = ChapterWriter(rng, words, plan, 0, 0)
    write(manuscript / "front" / "01-introduction.md", "\n\n".join([
        "---\ntitle: Introduction\n---",
        intro.paragraph(5),
        intro.paragraph(3) + f" Start with [[{first.number}]], or jump to [the last chapter](../{last.file}).",
        "## How to read this book",
        intro.paragraph(4) + f" If you read only one chapter, read [](../{middle.file}).",
    ] + [f"[^{n}]: {note}" for n, note in enumerate(intro.notes, start=1)]) + "\n")
    about = ChapterWriter(rng, words, plan, 0, 0)
    write(manuscript / "back" / "01-about.md", "\n\n".join([
        "---\ntitle: About the author\n---",
        f"{author} " + about.paragraph(3),
        about.paragraph(2) + " More at [example.org](https://example.org/about).",
    ] + [f"[^{n}]: {note}" for n, note in enumerate(about.notes, start=1)]) + "\n")
    return plan


def write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--chapters", type=int, default=100)
    parser.add_argument("--words", type=int, default=None, help="total words in the chapters (default 1500 per chapter)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace a book already in OUTDIR")
    options = parser.parse_args(argv)
    if options.chapters < 1:
        parser.error("--chapters must be at least 1")
    words = options.words if options.words is not None else 1500 * options.chapters
    out: Path = options.outdir
    if out.exists() and any(out.iterdir()):
        if not options.force:
            parser.error(f"{out} is not empty (use --force to replace the book in it)")
        for name in ("manuscript", ".cache", "dist"):
            shutil.rmtree(out / name, ignore_errors=True)
        (out / "metadata.yaml").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    plan = make_book(out, options.chapters, words, options.seed)
    total = sum(word_count(strip_front_matter((out / "manuscript" / c.file).read_text("utf-8"))) for c in plan)
    print(f"{out}: {len(plan)} chapters ({plan[0].number}..{plan[-1].number}), about {total} words", file=sys.stderr)
    return 0


def strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            return text[end + 5:]
    return text


if __name__ == "__main__":
    sys.exit(main())
