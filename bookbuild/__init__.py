"""Turn a book folder of numbered Markdown essays into EPUB 3, print PDF and screen PDF."""

__version__ = "0.1.0"
