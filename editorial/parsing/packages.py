"""ZIP packages (.docx, .xlsx) checked before they are opened.

A few hundred kilobytes of deflated XML can hold hundreds of megabytes, which the XML
parser would then build as a tree. The Word reader and the spreadsheet reader both check
an upload's declared sizes here first.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from editorial.parsing.tree import BulletinParseError

ZIP_MAGIC = b"PK\x03\x04"  # every .docx and .xlsx is a ZIP package


@dataclass(frozen=True)
class PackageLimits:
    """How far a ZIP package (.docx, .xlsx) may expand before it is refused unopened.

    A few hundred kilobytes of deflated XML can hold hundreds of megabytes, which the
    XML parser would then build as a tree: the sizes the archive declares are checked
    first, and the reads are capped at the declared sizes, so nothing larger is inflated.
    """

    max_bytes: int = 64 * 1024 * 1024  # all entries together, expanded
    max_ratio: int = 100  # expanded size over the upload's size
    max_entries: int = 2000
    min_ratio_bytes: int = 4 * 1024 * 1024  # the ratio applies above this expanded size


def check_package_size(data: bytes, limits: PackageLimits | None = None) -> None:
    """Refuse a ZIP package that expands beyond ``limits`` (code ``too-expanded``).

    Bad archives are left for the reader to report; only the declared sizes are read.
    """
    limits = limits or PackageLimits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return
    if len(entries) > limits.max_entries:
        raise BulletinParseError(
            f"The package holds {len(entries)} entries (at most {limits.max_entries}).",
            code="too-expanded",
        )
    expanded = sum(entry.file_size for entry in entries)
    ratio_cap = max(limits.min_ratio_bytes, len(data) * limits.max_ratio)
    if expanded > limits.max_bytes or expanded > ratio_cap:
        raise BulletinParseError(
            f"The package expands to {expanded} bytes (at most "
            f"{min(limits.max_bytes, ratio_cap)}).",
            code="too-expanded",
        )
