"""The public site: pages, feeds, sitemaps, downloads and the subscriber's pages.

Views are thin: the selectors (editorial.selectors.public) decide what may be seen.
Every page answers the same to every anonymous reader (no CSRF token, no user name on
it), so pages are cached whole (editorial.services.caching; signed-in readers' pages are
not) and their query count does not grow with the number of articles. Unpublished
things answer 404, never 403.

A subscriber-only issue shows everyone its cover, contents, titles and first paragraphs;
its full text, files and data go to readers ``may_read_in_full`` admits
(editorial.selectors.access). A refused download answers 403 with the subscribe panel
(gating.py).

By what the reader looks at: issues.py (home, archive, issue page, issue files),
articles.py (article page, figures), sections.py, indicators.py (pages, charts, data),
searching.py, previews.py (staff's signed previews), plumbing.py (language switch,
favicon, robots.txt, /healthz); feeds.py, sitemaps.py; exports.py (data downloads);
media.py (stored files behind a permission check); sign_in.py and subscriber.py (the
subscriber's signed pages). Shared: gating.py (the subscribe panel), responses.py
(paging, private and sandboxed answers; absolute URLs come from editorial.links),
file_serving.py (how a stored file leaves), slug_redirects.py (old slugs answer 301).
URLs: urls.py (namespace ``editorial``), export_urls.py (``exports``),
subscriber_urls.py (``subscriber``).
"""
