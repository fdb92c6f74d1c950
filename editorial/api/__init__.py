"""The read-only data API for subscribers' systems (django-ninja), served under /api/.

``editorial.api.site.api`` is the NinjaAPI the project's URLconf includes; docs/api.md
says how clients use it and docs/openapi.json is its OpenAPI document, kept in step by
``python manage.py export_openapi``.
"""
