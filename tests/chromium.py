"""Where Debian's chromium is, and the flags every test start of it needs.

Without the background-networking flags chromium keeps trying hosts this closed network
refuses; the browser tests (Playwright) and the PDF printing of the corpus share them.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
