"""The admin's 导入期刊 flow: upload ▸ preview (with corrections) ▸ confirm.

Views only: every step calls editorial.services.import_jobs or .import_previews. The
preview shows the parsed tree line by line, each heading line and each paragraph's first
line with a role select and the parser's evidence; the editor's choices are posted
together and the file is parsed again once with all of them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from editorial.models import Bulletin, ImportJob
from editorial.models.jobs import describe_import_warning
from editorial.operations.upload_limits import validate_bulletin_upload
from editorial.parsing.tree import FigureCaption, Paragraph, ParsedBulletin, Subheading, Table
from editorial.selectors.imports import job_overrides
from editorial.services import import_jobs, import_previews
from editorial.services.errors import ServiceError

LINE_ROLE_CHOICES = [
    ("", gettext_lazy("Keep the parser's decision")),
    ("section", gettext_lazy("Section heading")),
    ("title", gettext_lazy("Article title")),
    ("subheading", gettext_lazy("Subheading")),
    ("body", gettext_lazy("Body text")),
    ("caption", gettext_lazy("Figure caption")),
    ("furniture", gettext_lazy("Page furniture (remove)")),
]

# What the parser took a line as (LineDecision.role), for the badge beside it.
ROLE_LABELS = {
    "section": gettext_lazy("Section heading"),
    "title": gettext_lazy("Article title"),
    "subheading": gettext_lazy("Subheading"),
    "body": gettext_lazy("Body text"),
    "caption": gettext_lazy("Figure caption"),
    "source": gettext_lazy("Source line"),
    "table": gettext_lazy("Table"),
    "furniture": gettext_lazy("Page furniture"),
}
UNKNOWN_ROLE_LABEL = gettext_lazy("Other line")

# Why the parser decided as it did: one short phrase for each key of
# editorial.parsing.tree.EVIDENCE_CODES (a test keeps the two in step).
EVIDENCE_PHRASES = {
    "configured-section": gettext_lazy("one of the bulletin's sections"),
    "guessed-section": gettext_lazy("shaped like a section name"),
    "title-font": gettext_lazy("spaced like a larger font"),
    "body-font": gettext_lazy("spaced like body text"),
    "block-end": gettext_lazy("ends a block"),
    "inside-block": gettext_lazy("inside a block"),
    "new-topic": gettext_lazy("a new topic"),
    "same-topic": gettext_lazy("the same topic as the article"),
    "echoed-by-lead": gettext_lazy("repeated by the next paragraph"),
    "dated-lead": gettext_lazy("next paragraph opens with a date"),
    "label-series": gettext_lazy("like its sibling subheadings"),
    "plain-series": gettext_lazy("close to another plain heading"),
    "numbered": gettext_lazy("numbered like a subheading"),
    "kicker": gettext_lazy("a kicker above a heading"),
    "wrapped-title": gettext_lazy("a title wrapped onto two lines"),
    "would-empty-article": gettext_lazy("would leave the article before it empty"),
    "first-in-section": gettext_lazy("first heading of the section"),
    "after-end-mark": gettext_lazy("after an end mark (完)"),
    "full-width-line": gettext_lazy("a full-width line"),
    "sentence-end": gettext_lazy("ends a sentence"),
    "continues-sentence": gettext_lazy("continues a sentence"),
    "source-line": gettext_lazy("a source line"),
    "caption-before-source": gettext_lazy("just above a source line"),
    "numeric-cells": gettext_lazy("numbers like table cells"),
    "ruled-table": gettext_lazy("a row of a ruled table (PDF)"),
    "furniture": gettext_lazy("header, footer or page number"),
    "font-size": gettext_lazy("larger type (PDF)"),
    "bold": gettext_lazy("bold type (PDF)"),
    "image": gettext_lazy("an image or chart (PDF)"),
    "editor": gettext_lazy("set by an editor"),
}
UNKNOWN_EVIDENCE_PHRASE = gettext_lazy("other evidence")

# Lines that always get a role select, wherever they stand.
HEADING_ROLES = frozenset({"section", "title", "subheading", "caption", "source"})


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "The bulletin as a PDF with a text layer (.pdf), its text as extracted from the "
            "PDF (.txt, UTF-8 or GB18030), or a Word file (.docx)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.txt,.text,.docx"}),
        # Size and file type from the first bytes, before the upload is read whole.
        validators=[validate_bulletin_upload],
    )
    bulletin = forms.ModelChoiceField(Bulletin.objects.all(), label=gettext_lazy("Bulletin"))
    issue_date = forms.DateField(
        label=gettext_lazy("Issue date"),
        required=False,
        help_text=gettext_lazy("Leave empty to use the date found in the file."),
    )
    number = forms.IntegerField(
        label=gettext_lazy("Issue number"),
        required=False,
        min_value=1,
        help_text=gettext_lazy(
            "Leave empty to use the number stated in the file, or else the next free one."
        ),
    )


def _admin_context(request, title, **extra):
    return {**admin.site.each_context(request), "title": title, "opts": ImportJob._meta, **extra}


def _require_import_permission(request):
    if not import_jobs.can_import(request.user):
        raise PermissionDenied


@staff_member_required
def upload_view(request):
    _require_import_permission(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        options = {}
        if form.cleaned_data["issue_date"]:
            options["date"] = form.cleaned_data["issue_date"].isoformat()
        if form.cleaned_data["number"]:
            options["number"] = form.cleaned_data["number"]
        try:
            job = import_jobs.create_import_job(
                data=upload.read(),
                filename=upload.name,
                bulletin=form.cleaned_data["bulletin"],
                user=request.user,
                options=options,
            )
        except ServiceError as exc:
            form.add_error("file", str(exc))
        else:
            if import_jobs.parses_in_background(job):
                # Heavy files are read by a worker; the progress page leads to the preview.
                import_previews.request_preview_parse(job=job)
                return redirect("admin:editorial_import_progress", job_id=job.pk)
            return redirect("admin:editorial_import_preview", job_id=job.pk)
    return render(
        request,
        "admin/editorial/import/upload.html",
        _admin_context(request, _("Import a bulletin"), form=form),
    )


# --- The preview's rows -----------------------------------------------------------------


@dataclass
class PreviewLine:
    """One input line: what the parser took it as, why, and the editor's choice."""

    line: int
    text: str
    role: str
    role_label: str
    evidence: list[str]
    warnings: list[str]
    doubtful: bool
    choice: str  # the editor's override, "" when the parser's decision stands
    options: SafeString = field(default_factory=SafeString)  # shared <option>s
    head: bool = False  # always shown with its select (see PreviewBlock)

    @property
    def changed(self) -> bool:
        return bool(self.choice)


@dataclass
class PreviewBlock:
    """One node of the parsed tree (a section, title, subheading, paragraph, figure or
    table) with the input lines it was made from."""

    kind: str
    line: int
    text: str = ""
    lines: list[PreviewLine] = field(default_factory=list)
    by_line: bool = False  # every line shown with its own select

    @property
    def heads(self) -> list[PreviewLine]:
        """The lines that always get a select: the first, heading lines, doubtful ones
        and the editor's corrections. The others get one when the block is opened."""
        return [line for line in self.lines if line.head]

    @property
    def more(self) -> list[PreviewLine]:
        return [line for line in self.lines if not line.head]

    @property
    def is_text(self) -> bool:
        """A block shown as its lines' text (a paragraph, a table, the leading lines)."""
        return self.kind in ("paragraph", "table", "front")

    @property
    def doubtful(self) -> bool:
        return any(line.doubtful for line in self.lines)

    @property
    def anchor(self) -> str:
        return f"l-{self.line}" if self.lines else ""


def _options_html(choice: str, role_label: str) -> SafeString:
    # "Keep" names the parser's decision, unless the editor overrode it: then keeping
    # means handing the line back to the parser, whose decision is not known yet.
    keep = _("Keep: %(role)s") % {"role": role_label} if not choice else None
    options = [
        (value, " selected" if value == choice else "", keep if not value and keep else label)
        for value, label in LINE_ROLE_CHOICES
    ]
    return format_html_join("", '<option value="{}"{}>{}</option>', options)


def _tree_nodes(parsed: ParsedBulletin) -> list[PreviewBlock]:
    nodes = []
    for section in parsed.sections:
        if section.line or section.title:
            nodes.append(PreviewBlock("section", section.line, section.title))
        for article in section.articles:
            nodes.append(PreviewBlock("title", article.line, article.title))
            for block in article.blocks:
                if isinstance(block, Paragraph):
                    nodes.append(PreviewBlock("paragraph", block.line, block.text))
                elif isinstance(block, Subheading):
                    nodes.append(PreviewBlock("subheading", block.line, block.full_text))
                elif isinstance(block, FigureCaption):
                    text = block.caption + (f"（{block.source}）" if block.source else "")
                    nodes.append(PreviewBlock("figure", block.line, text))
                elif isinstance(block, Table):
                    text = " / ".join(" ".join(row) for row in block.rows[:3])
                    nodes.append(PreviewBlock("table", block.line, text))
    return nodes


def preview_blocks(
    parsed: ParsedBulletin,
    *,
    overrides: dict[int, str],
    warnings: list[dict],
    expanded: set[int] = frozenset(),
) -> list[PreviewBlock]:
    """The parsed tree as rows, each with the decisions of the lines it was made from.

    A line belongs to the last node that starts at or before it, so furniture between
    two paragraphs sits with the first; lines before the first node form a leading block.
    """
    warned: dict[int, list[str]] = {}
    for warning in warnings:
        warned.setdefault(warning["line"], []).append(describe_import_warning(warning["code"]))
    role_labels = {role: str(label) for role, label in ROLE_LABELS.items()}
    other_role = str(UNKNOWN_ROLE_LABEL)
    phrases = {code: str(phrase) for code, phrase in EVIDENCE_PHRASES.items()}
    unknown = str(UNKNOWN_EVIDENCE_PHRASE)
    options_cache: dict[tuple[str, str], SafeString] = {}

    nodes = _tree_nodes(parsed)
    starts: list[int] = []
    owners: list[PreviewBlock] = []
    for node in nodes:
        if node.line > 0 and (not starts or node.line > starts[-1]):
            starts.append(node.line)
            owners.append(node)
    leading = PreviewBlock("front", 0)
    for decision in sorted(parsed.decisions, key=lambda d: d.line):
        label = role_labels.get(decision.role, other_role)
        choice = overrides.get(decision.line, "")
        key = (choice, label)
        if key not in options_cache:
            options_cache[key] = _options_html(choice, label)
        line_warnings = warned.get(decision.line, [])
        line = PreviewLine(
            line=decision.line,
            text=decision.text,
            role=decision.role,
            role_label=label,
            evidence=[phrases.get(code, unknown) for code in decision.evidence],
            warnings=line_warnings,
            doubtful=not decision.sure or bool(line_warnings),
            choice=choice,
            options=options_cache[key],
        )
        index = bisect.bisect_right(starts, decision.line) - 1
        (owners[index] if index >= 0 else leading).lines.append(line)
    if leading.lines:
        leading.line = leading.lines[0].line
        nodes.insert(0, leading)
    for node in nodes:
        if node.lines and node.line == 0:
            node.line = node.lines[0].line
        for index, line in enumerate(node.lines):
            line.head = (
                index == 0 or line.role in HEADING_ROLES or line.doubtful or line.changed
            )
        node.by_line = node.line in expanded
    return nodes


def render_preview_rows(blocks: list[PreviewBlock]) -> SafeString:
    """The line tree's HTML. Built here rather than in the template: a 2,000-line
    bulletin has several hundred rows, and the template language would take most of a
    second over them."""
    texts = {"why": escape(_("Why:")), "untitled": escape(_("(untitled)"))}
    parts: list[str] = []
    for block in blocks:
        classes = f"pv-row pv-{escape(block.kind)}"
        classes += " doubtful" if block.doubtful else ""
        classes += " by-line" if block.by_line else ""
        classes += " changed" if any(line.changed for line in block.lines) else ""
        if block.anchor:
            parts.append(
                f'<div class="{classes}" id="{block.anchor}"><div class="pv-num">'
                f'<a href="#{block.anchor}">{block.line}</a></div><div class="pv-text">'
            )
        else:  # a node the parser made up (an untitled section or article): no lines
            parts.append(f'<div class="{classes}"><div class="pv-num"></div><div class="pv-text">')
        _render_block_text(block, parts, texts)
        parts.append('</div><div class="pv-controls">')
        _render_block_controls(block, parts, texts)
        parts.append("</div></div>\n")
    # Every value above is escaped (bandit B308, B703 reviewed).
    return mark_safe("".join(parts))  # nosec B308 B703


def _role_select(line: PreviewLine) -> str:
    label = escape(_("Role of line %(line)s") % {"line": line.line})
    return f'<select name="role-{line.line}" aria-label="{label}">{line.options}</select>'


def _render_block_text(block: PreviewBlock, parts: list[str], texts: dict[str, str]) -> None:
    """The block's text: a heading's own text, or a paragraph's lines, each line that is
    not a head with the select it opens into when the paragraph is corrected line by line."""
    if not block.is_text:
        parts.append(escape(block.text) or texts["untitled"])
    for index, line in enumerate(block.lines):
        if block.is_text and index == 0:
            parts.append(f'<span class="pv-first-line">{escape(line.text)}</span>')
        elif block.is_text or not line.head:
            parts.append(
                f'<span class="pv-more-line role-{escape(line.role)}">'
                f'<span class="ln">{line.line}</span>{escape(line.text)}'
            )
            if not line.head:
                inner = _role_select(line) if block.by_line else ""
                keep = escape(_("Keep: %(role)s") % {"role": line.role_label})
                parts.append(
                    f'<span class="pv-line-select" data-line="{line.line}" '
                    f'data-keep="{keep}">{inner}</span>'
                )
            parts.append("</span>")


def _render_block_controls(block: PreviewBlock, parts: list[str], texts: dict[str, str]) -> None:
    """A role select for each head line, with the parser's evidence and warnings, and the
    link that opens the block's other lines."""
    heads = block.heads
    for index, line in enumerate(heads):
        parts.append(f'<div class="pv-control" id="line-{line.line}">')
        if len(heads) > 1:
            label = escape(_("line %(line)s") % {"line": line.line})
            text = "" if block.is_text and index == 0 else f" 「{escape(Truncator(line.text).chars(16))}」"
            parts.append(f'<span class="ln">{label}{text}</span> ')
        parts.append(_role_select(line))
        if line.evidence:
            reasons = "".join(f"<span>{escape(reason)}</span>" for reason in line.evidence)
            parts.append(f'<span class="pv-evidence">{texts["why"]}{reasons}</span>')
        for warning in line.warnings:
            parts.append(f'<span class="pv-warning">⚠ {escape(warning)}</span>')
        parts.append("</div>")
    more = len(block.more)
    if more and not block.by_line:
        label = escape(
            ngettext("correct its other line", "correct its other %(count)s lines", more)
            % {"count": more}
        )
        parts.append(
            f'<a class="pv-lines-toggle" href="?lines={block.line}#{block.anchor}">{label}</a>'
        )


def role_select_template() -> SafeString:
    """The select the page's script copies when a paragraph is opened line by line."""
    return _options_html("", "…")


def _posted_overrides(request) -> dict[int, str]:
    overrides = {}
    for key, value in request.POST.items():
        if key.startswith("role-"):
            try:
                overrides[int(key.removeprefix("role-"))] = value
            except ValueError:
                continue
    return overrides


def _posted_number(request) -> int | None:
    value = request.POST.get("number", "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ServiceError(_("The issue number must be a whole number.")) from exc


def _save_posted_choices(request, job: ImportJob) -> bool:
    """Store the posted line roles and number; True when anything changed."""
    posted = _posted_overrides(request)
    current = job_overrides(job)
    changes = {line: role for line, role in posted.items() if role != current.get(line, "")}
    if changes:
        import_jobs.set_import_overrides(job=job, overrides=changes, user=request.user)
    number = _posted_number(request)
    report = job.report or {}
    chosen = (job.options or {}).get("number")
    if number != (chosen or report.get("number")) or (number is None and chosen):
        import_jobs.set_import_number(job=job, number=number, user=request.user)
    return bool(changes)


@staff_member_required
def preview_view(request, job_id: int):
    _require_import_permission(request)
    job = get_object_or_404(ImportJob.objects.select_related("bulletin"), pk=job_id)
    if job.issue_id:
        return redirect("admin:editorial_issue_change", job.issue_id)
    if request.method == "POST":
        try:
            changed = _save_posted_choices(request, job)
            if "confirm" in request.POST and changed:
                messages.warning(
                    request,
                    _("Your corrections were applied. Check the preview, then create the issue."),
                )
            elif "confirm" in request.POST:
                job = import_jobs.confirm_import_job(
                    job=job,
                    user=request.user,
                    checksum=request.POST.get("checksum", ""),
                    import_anyway=bool(request.POST.get("import_anyway")),
                )
                if job.issue_id:
                    messages.success(request, _("The draft issue was created."))
                    return redirect("admin:editorial_issue_change", job.issue_id)
                if job.state == ImportJob.State.FAILED:
                    messages.error(request, job.error)
                else:
                    return redirect("admin:editorial_import_progress", job_id=job.pk)
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("admin:editorial_import_preview", job_id=job.pk)

    try:
        preview = import_previews.preview_import_job(job=job)
    except import_previews.PreviewPending:
        return redirect("admin:editorial_import_progress", job_id=job.pk)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("admin:editorial_import_upload")
    report = preview.report
    overrides = job_overrides(job)
    warnings = [
        {
            **w,
            "description": describe_import_warning(w["code"]),
            "choice": overrides.get(w["line"], ""),
        }
        for w in report.get("warnings", [])
    ]
    expanded = {int(v) for v in request.GET.getlist("lines") if v.isdigit()}
    blocks = (
        preview_blocks(
            preview.parsed, overrides=overrides, warnings=report["warnings"], expanded=expanded
        )
        if preview.parsed.decisions and preview.accepts_overrides
        else None
    )
    doubtful = [line for block in blocks or [] for line in block.lines if line.doubtful]
    return render(
        request,
        "admin/editorial/import/preview.html",
        _admin_context(
            request,
            _("Preview: %(name)s") % {"name": job.original_name},
            job=job,
            preview=preview,
            report=report,
            warnings=warnings,
            blocks=blocks,
            rows=render_preview_rows(blocks) if blocks is not None else "",
            doubtful_lines=doubtful,
            override_count=len(overrides),
            role_choices=LINE_ROLE_CHOICES,
            role_select_options=role_select_template(),
            article_count=sum(len(s["articles"]) for s in report["sections"]),
            duplicates=[
                {
                    "reason": d.reason,
                    "issue": d.issue,
                    "url": reverse("admin:editorial_issue_change", args=[d.issue.pk]),
                }
                for d in preview.duplicates
            ],
            number_taken_url=reverse(
                "admin:editorial_issue_change", args=[preview.number_taken_by.pk]
            )
            if preview.number_taken_by
            else "",
        ),
    )


@staff_member_required
def progress_view(request, job_id: int):
    _require_import_permission(request)
    job = import_jobs.fail_stalled_import_job(get_object_or_404(ImportJob, pk=job_id))
    # A preview parse done by a worker leads on to the preview.
    preview_url = (
        reverse("admin:editorial_import_preview", args=[job.pk])
        if job.state == ImportJob.State.PREVIEWED and not job.issue_id
        else None
    )
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "preview_url": preview_url,
                "state": job.state,
                "state_label": job.get_state_display(),
                "progress": job.progress,
                "error": job.error,
                "issue_url": reverse("admin:editorial_issue_change", args=[job.issue_id])
                if job.issue_id
                else None,
            }
        )
    if job.issue_id:
        return redirect("admin:editorial_issue_change", job.issue_id)
    if preview_url:
        return redirect(preview_url)
    return render(
        request,
        "admin/editorial/import/progress.html",
        _admin_context(request, _("Importing %(name)s") % {"name": job.original_name}, job=job),
    )


def import_urls(admin_view):
    return [
        path("import/", admin_view(upload_view), name="editorial_import_upload"),
        path("import/<int:job_id>/", admin_view(preview_view), name="editorial_import_preview"),
        path(
            "import/<int:job_id>/progress/",
            admin_view(progress_view),
            name="editorial_import_progress",
        ),
    ]
