"""The figure inline of an article's admin page: its form checks an upload as the figure
service will (so a bad file is an error on its field, not a lost form), and its formset
is saved only through editorial.services.figures."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from editorial.models import Figure
from editorial.services import figures
from editorial.services.errors import ServiceError


class FigureInlineForm(forms.ModelForm):
    class Meta:
        model = Figure
        fields = ("position", "caption", "source_line", "image", "indicator")
        help_texts = {
            "image": _("PNG, JPEG, GIF, WebP or SVG. Or choose an indicator below: the "
                       "figure then shows its chart."),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload, not the stored file
            try:
                figures.check_figure_image(image)
            except ServiceError as exc:
                raise forms.ValidationError(str(exc), code=exc.code) from None
            image.seek(0)
        return image

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("image")
        if (upload and hasattr(upload, "content_type") and cleaned.get("indicator")
                and "indicator" in self.changed_data):
            raise forms.ValidationError(
                _("Attach an image or choose an indicator chart, not both."),
                code="figure-image-and-chart",
            )
        return cleaned


def save_figure_formset(formset, *, article, user) -> None:
    """Each new, changed or deleted figure through its service; Django's change message
    reads the lists set at the end."""
    new, changed, deleted = [], [], []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        figure = form.instance if form.instance.pk else None
        if formset.can_delete and formset._should_delete_form(form):
            if figure is not None:
                figures.delete_figure(figure=figure, user=user)
                deleted.append(figure)
            continue
        if not form.has_changed():
            continue
        data = form.cleaned_data
        if figure is None:
            figure = figures.create_figure(
                article=article, user=user, caption=data.get("caption", ""),
                source_line=data.get("source_line", ""), position=data.get("position"),
            )
            new.append(figure)
        else:
            figure = figures.update_figure(
                figure=figure, user=user, caption=data.get("caption", ""),
                source_line=data.get("source_line", ""),
                position=data.get("position") or figure.position,
            )
            changed.append((figure, form.changed_data))
        image = data.get("image")
        if "image" in form.changed_data and image and hasattr(image, "content_type"):
            figures.attach_figure_image(figure=figure, user=user, upload=image)
        elif "indicator" in form.changed_data and data.get("indicator"):
            figures.choose_figure_chart(figure=figure, user=user, indicator=data["indicator"])
        elif ("image" in form.changed_data and image is False) or (
            "indicator" in form.changed_data and not data.get("indicator")
        ):
            figures.clear_figure_artwork(figure=figure, user=user)
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted
