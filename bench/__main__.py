"""Run every bench: each public module of this package whose ``main()`` prints figures.

    python -m bench          (or: make bench)
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    package = Path(__file__).resolve().parent
    for module in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        bench = importlib.import_module(f"bench.{module.name}")
        run = getattr(bench, "main", None)
        if callable(run):
            print(f"\n=== bench.{module.name} ===")
            run()


if __name__ == "__main__":
    main()
