"""Write editions atomically: every file goes to a temporary name first and is
renamed into place only when all of them are complete, so a failed build leaves
the last good editions as they were."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=out_dir)
            staged.append((temp, out_dir / name))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for temp, final in staged:
            os.chmod(temp, 0o644)
            os.replace(temp, final)
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.unlink(temp)
    return [final for _, final in staged]
