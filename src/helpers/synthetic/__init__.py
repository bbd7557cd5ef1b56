"""Seeded generators of the synthetic samples shipped in ``data/raw/``, one module per source family.

Each module has ``generate(out_root) -> list[Path]``, writing its sources' subfolders under
``out_root`` in the publishers' exact formats, with SYNTHETIC in every file name.
"""
