"""Rendering a ~40-page issue: our PDF (Typst) and HTML beside WeasyPrint and Chromium.

    python -m bench.render [--runs 3]
    python -m bench                      # every bench, this one included

The sample issue is generated (bench/_sample_issue.py: five sections, 46 articles,
figures, tables and three key-figure charts) into a throw-away SQLite database. Each
figure is a whole process, as an operator would run it:

- ours, PDF:   ``manage.py render_issue ID --format pdf``  (target ≤ 1 s, < 1.5 MB)
- ours, HTML:  ``manage.py render_issue ID --format html`` (target: render < 0.5 s)
- bare Typst:  a Python process that only calls ``typst.compile`` on the same template
               and data (the same fonts folders): the engine's floor for a whole process
- WeasyPrint:  ``python -m weasyprint`` on our HTML rendition (requirements-bench.txt)
- Chromium:    ``chromium --headless --print-to-pdf`` on the same HTML

Ours and bare Typst take turns run by run. Then the warm figures, as a Celery worker sees
them: in one long-lived process a first render (fonts loaded, caches filled), then
FRESH_ISSUES issues it has not seen before (same shape, other text: Typst caches what it
typeset, so re-rendering one issue would flatter both), each timed; beside them a
long-lived process with one ``typst.Compiler`` that compiles the same issues' data in the
same order. Both processes are started anew each round, rounds alternate, and the figure
is the median over all fresh renders.

Wall time is the median of ``--runs`` runs (the best in brackets), CPU the median of
user+system time of the process and its children: on a busy machine wall time grows,
CPU time much less. "render" is the time inside the process the renderer reports
(for us: build the data, typeset, write), without Python and Django start-up.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTICLES = 46
FRESH_ISSUES = 4


@dataclass
class Result:
    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    renders: list[float] = field(default_factory=list)
    output: Path | None = None
    note: str = ""


def environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"):
        env.pop(key, None)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "VAR_DIR": str(workdir),
            "MEDIA_ROOT": str(workdir / "media"),
            "SECRET_KEY": "bench-render-only-" + "Zq8vK2mW" * 6,
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "localhost",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "bulletin.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float, str]:
    """Run a command; (wall seconds, CPU seconds of it and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed.stdout


def pdf_facts(path: Path) -> tuple[str, str]:
    """(pages, fonts) of a PDF, from poppler-utils when present."""
    if not shutil.which("pdfinfo"):
        return "?", "?"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    embedded = sum(1 for row in rows if row[-5] == "yes")
    subset = sum(1 for row in rows if row[-4] == "yes")
    type3 = sum(1 for line in fonts.splitlines()[2:] if "Type 3" in line)
    facts = f"{len(rows)} fonts, {embedded} embedded, {subset} subset"
    if type3:
        facts += f", {type3} Type 3"
    return (pages.group(1) if pages else "?"), facts


def prepare(workdir: Path, env: dict[str, str]) -> list[int]:
    """The sample issue and FRESH_ISSUES more like it; each one's Typst input on disk."""
    # The project's bytecode, as the image has it (the Dockerfile's compileall): with
    # PYTHONDONTWRITEBYTECODE set, changed modules would otherwise be compiled from
    # source at every start, a cost no deployed process pays.
    timed([PYTHON, "-m", "compileall", "-q", "bulletin", "editorial"], env)
    timed([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    _, _, out = timed([PYTHON, "-m", "bench._sample_issue", str(ARTICLES), str(1 + FRESH_ISSUES)],
                      env)
    ids = [int(pk) for pk in out.strip().splitlines()[-1].split()]
    export = (
        "import django, json, sys; django.setup()\n"
        "from pathlib import Path\n"
        "from editorial.models import Issue\n"
        "from editorial.selectors.render_data import issue_render_data\n"
        "from editorial.typesetting import pdf\n"
        "for pk in sys.argv[2:]:\n"
        "    root = Path(sys.argv[1]) / f'typst-{pk}'; root.mkdir()\n"
        "    data = issue_render_data(Issue.objects.select_related('bulletin').get(pk=pk))\n"
        "    (root / 'issue.json').write_text(json.dumps(pdf.typst_data(data, root),\n"
        "                                     ensure_ascii=False), encoding='utf-8')\n"
        "print(json.dumps({'template': str(pdf.TYPST_TEMPLATE),\n"
        "                  'fonts': pdf.font_dirs()}))\n"
    )
    _, _, out = timed([PYTHON, "-c", export, str(workdir), *map(str, ids)], env)
    (workdir / "typst.json").write_text(out.strip().splitlines()[-1], encoding="utf-8")
    return ids


BARE_TYPST = (
    "import json, sys, time; from pathlib import Path\n"
    "started = time.perf_counter()\n"
    "import typst\n"
    "setup = json.loads(Path(sys.argv[1]).read_text())\n"
    "roots = [Path(p) for p in sys.argv[2:]]\n"
    "fonts = typst.Fonts(include_system_fonts=not setup['fonts'], include_embedded_fonts=True,\n"
    "                    font_paths=setup['fonts'])\n"
    "compiler = typst.Compiler(font_paths=fonts, ignore_system_fonts=bool(setup['fonts']))\n"
    "template = Path(setup['template']).read_bytes()\n"
    "times = []\n"
    "for root in roots:\n"
    "    t = time.perf_counter()\n"
    "    pdf = compiler.compile(input=template, format='pdf', root=str(root),\n"
    "                           sys_inputs={'issue': (root / 'issue.json').read_text()})\n"
    "    times.append(time.perf_counter() - t)\n"
    "print(' '.join(f'{t:.3f}' for t in times), len(pdf))\n"
)

OURS_IN_WORKER = (
    "import django, sys, time; django.setup()\n"
    "from editorial.models import Issue\n"
    "from editorial.services import rendering\n"
    "times = []\n"
    "for pk in sys.argv[1:]:\n"
    "    issue = Issue.objects.select_related('bulletin').get(pk=pk)\n"
    "    t = time.perf_counter(); rendering.render_issue_document(issue=issue, kind='pdf')\n"
    "    times.append(time.perf_counter() - t)\n"
    "print(' '.join(f'{t:.3f}' for t in times))\n"
)


def run_pdf_processes(ids: list[int], workdir: Path, env, runs: int) -> tuple[Result, Result]:
    """Whole processes, ours and bare Typst taking turns, on the sample issue."""
    ours = run_ours("pdf", ids[0], workdir, env, 0)
    bare = Result("bare typst.compile, whole process")
    root = workdir / f"typst-{ids[0]}"
    for _ in range(runs):
        ours_one = run_ours("pdf", ids[0], workdir, env, 1)
        ours.walls += ours_one.walls
        ours.cpus += ours_one.cpus
        ours.renders += ours_one.renders
        wall, cpu, out = timed([PYTHON, "-c", BARE_TYPST, str(workdir / "typst.json"), str(root)],
                               env)
        bare.walls.append(wall)
        bare.cpus.append(cpu)
        bare.renders.append(float(out.split()[0]))
    ours.output = workdir / "ours.pdf"
    return ours, bare


def run_warm(ids: list[int], workdir: Path, env, runs: int) -> str:
    """Warm renders of unseen issues in a long-lived process, ours beside bare Typst."""
    ours_fresh, bare_fresh, ours_again, bare_again = [], [], [], []
    order = [*ids, ids[-1]]  # the first warms up; the last is rendered again at the end
    roots = [str(workdir / f"typst-{pk}") for pk in order]
    for _ in range(runs):
        _, _, out = timed([PYTHON, "-c", OURS_IN_WORKER, *map(str, order)], env)
        times = [float(t) for t in out.split()[-len(order):]]
        ours_fresh += times[1:-1]
        ours_again.append(times[-1])
        _, _, out = timed([PYTHON, "-c", BARE_TYPST, str(workdir / "typst.json"), *roots], env)
        times = [float(t) for t in out.split()[: len(order)]]
        bare_fresh += times[1:-1]
        bare_again.append(times[-1])
    ours_warm, bare_warm = statistics.median(ours_fresh), statistics.median(bare_fresh)
    return (
        f"warm, in a long-lived process, {len(ours_fresh)} renders of issues not seen before: "
        f"ours {ours_warm:.3f} s (render_issue_document: data, typeset, bookmarks), "
        f"bare Typst {bare_warm:.3f} s (compiler.compile) — {ours_warm / bare_warm:.2f}× "
        f"(target ≤ 1.3×)\n"
        f"  the same issue rendered again (Typst's caches hit): ours "
        f"{statistics.median(ours_again):.3f} s, bare {statistics.median(bare_again):.3f} s"
    )


def run_ours(kind: str, issue_id: int, workdir: Path, env, runs: int) -> Result:
    result = Result(f"ours: render_issue --format {kind}")
    output = workdir / f"ours.{kind}"
    for _ in range(runs):
        wall, cpu, out = timed(
            [PYTHON, "manage.py", "render_issue", str(issue_id), "--format", kind, "--output",
             str(output)],
            env,
        )
        result.walls.append(wall)
        result.cpus.append(cpu)
        reported = re.search(r"([\d.]+) s\s*$", out.strip())
        if reported:
            result.renders.append(float(reported.group(1)))
    result.output = output
    return result


def run_weasyprint(html: Path, workdir: Path, env, runs: int) -> Result:
    result = Result("WeasyPrint (our HTML)")
    probe = subprocess.run([PYTHON, "-c", "import weasyprint; print(weasyprint.__version__)"],
                           capture_output=True, text=True, env=env)
    if probe.returncode != 0:
        result.note = "not installed: pip install -r requirements-bench.txt"
        return result
    result.name = f"WeasyPrint {probe.stdout.strip()} (our HTML)"
    output = workdir / "weasyprint.pdf"
    for _ in range(runs):
        wall, cpu, _ = timed([PYTHON, "-m", "weasyprint", "-q", str(html), str(output)], env)
        result.walls.append(wall)
        result.cpus.append(cpu)
    result.output = output
    return result


def run_chromium(html: Path, workdir: Path, env, runs: int) -> Result:
    result = Result("Chromium headless (our HTML)")
    if not Path(CHROMIUM).exists():
        result.note = f"{CHROMIUM} not found"
        return result
    output = workdir / "chromium.pdf"
    for run in range(runs):
        profile = workdir / f"chromium-profile-{run}"
        wall, cpu, _ = timed(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
             f"--print-to-pdf={output}", html.as_uri()],
            env,
        )
        result.walls.append(wall)
        result.cpus.append(cpu)
    result.output = output
    return result


def report(results: list[Result], issue_note: str, worker_note: str) -> None:
    print(f"Sample issue: {issue_note}")
    header = f"{'renderer':<38} {'wall s':>14} {'cpu s':>7} {'render s':>9} {'pages':>6} {'size KB':>8}  fonts"
    print(header)
    print("-" * len(header))
    for result in results:
        if not result.walls:
            print(f"{result.name:<38} {'—':>14}  {result.note}")
            continue
        wall = f"{statistics.median(result.walls):.2f} ({min(result.walls):.2f})"
        cpu = f"{statistics.median(result.cpus):.2f}"
        render = f"{statistics.median(result.renders):.2f}" if result.renders else "—"
        size = result.output.stat().st_size / 1024 if result.output and result.output.exists() else 0
        if result.output and result.output.suffix == ".pdf":
            pages, fonts = pdf_facts(result.output)
        else:
            pages, fonts = "—", "(text)"
        print(f"{result.name:<38} {wall:>14} {cpu:>7} {render:>9} {pages:>6} {size:>8.0f}  {fonts}")
    by_name = {r.name: r for r in results}
    ours, bare = by_name.get("ours: render_issue --format pdf"), by_name.get(
        "bare typst.compile, whole process")
    if ours and bare and ours.walls and bare.walls:
        ratio = statistics.median(ours.walls) / statistics.median(bare.walls)
        print(f"whole process, ours PDF / bare Typst: {ratio:.2f}× (target ≤ 1.8×)")
    print(worker_note)
    print("Targets: our PDF ≤ 1 s for the whole process and < 1.5 MB; our HTML < 0.5 s.")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    print(f"Machine: {os.cpu_count()} CPUs, load average {load:.1f} during the run.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the outputs and print where")
    args = parser.parse_args(argv if argv is not None else [])
    workdir = Path(tempfile.mkdtemp(prefix="bench-render-"))
    try:
        env = environment(workdir)
        ids = prepare(workdir, env)
        issue_id = ids[0]
        results = [
            *run_pdf_processes(ids, workdir, env, args.runs),
            run_ours("html", issue_id, workdir, env, args.runs),
        ]
        html = workdir / "ours.html"
        results.append(run_weasyprint(html, workdir, env, max(1, min(args.runs, 2))))
        results.append(run_chromium(html, workdir, env, max(1, min(args.runs, 2))))
        worker_note = run_warm(ids, workdir, env, args.runs)
        report(results, f"{ARTICLES} articles in 5 sections, figures, tables, 3 charts", worker_note)
        if args.keep:
            print(f"Outputs kept in {workdir}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
