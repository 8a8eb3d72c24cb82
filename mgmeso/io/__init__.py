"""Files: output paths that are checked before any work, atomic writes, CSV tables."""
