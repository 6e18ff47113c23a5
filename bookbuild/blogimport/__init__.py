"""Import a blog (a WordPress export, or a folder of saved pages or Markdown posts) as
numbered chapters: ``python build.py import SOURCE [--book DIR] [--media DIR] [--fetch-images]``.

The import only writes Markdown, images and metadata; the next ``check`` or build reads
them like any other book. See run.py for the steps.
"""

from .run import ImportOptions, ImportSummary, Skipped, import_blog

__all__ = ["ImportOptions", "ImportSummary", "Skipped", "import_blog"]
