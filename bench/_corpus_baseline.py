"""The baseline for the accuracy bench: the plain-text parser as it was at a fixed commit.

``load_baseline_text_parser()`` reads ``editorial/parsing/text.py`` from git commit
``BASELINE_COMMIT`` and executes it as a throwaway module (its imports of the
``editorial.parsing`` siblings resolve to the current ones, which it was written
against). It returns ``(module, None)``, or ``(None, why)`` when git or the commit is
unavailable, so the bench can say so and print our figures alone.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BASELINE_COMMIT = "9cb1fdc"
BASELINE_PATH = "editorial/parsing/text.py"
MODULE_NAME = "_bench_baseline_text_parser"


def baseline_source() -> tuple[str | None, str | None]:
    """(source, None) or (None, the reason it cannot be read)."""
    git = shutil.which("git")
    if git is None:
        return None, "git is not installed"
    try:
        result = subprocess.run(
            [git, "show", f"{BASELINE_COMMIT}:{BASELINE_PATH}"],
            cwd=ROOT,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git failed: {exc}"
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, f"git show {BASELINE_COMMIT}:{BASELINE_PATH} failed: {message[:1]}"
    return result.stdout.decode("utf-8"), None


def load_baseline_text_parser() -> tuple[ModuleType | None, str | None]:
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME], None
    source, problem = baseline_source()
    if source is None:
        return None, problem
    spec = importlib.util.spec_from_loader(MODULE_NAME, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__file__ = f"{BASELINE_COMMIT}:{BASELINE_PATH}"
    # Dataclasses look their module up in sys.modules while the class body runs.
    sys.modules[MODULE_NAME] = module
    try:
        exec(compile(source, module.__file__, "exec"), module.__dict__)
    except Exception as exc:  # the old source no longer runs against today's siblings
        del sys.modules[MODULE_NAME]
        return None, f"the baseline parser does not load: {exc!r}"
    return module, None
