"""``{% current_reader as reader %}``: who is reading, for the site header.

Read from the request each time (editorial.selectors.access), never from the session
alone, so a deactivated subscriber is shown as signed out on their next page.
"""

from django import template

from editorial.selectors.access import ANONYMOUS, reader_for_request

register = template.Library()


@register.simple_tag(takes_context=True)
def current_reader(context):
    request = context.get("request")
    return reader_for_request(request) if request is not None else ANONYMOUS
