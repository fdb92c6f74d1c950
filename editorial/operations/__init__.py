"""What running the site in production needs, apart from the domain.

content_security (the Content-Security-Policy), upload_limits (request bodies capped
before they are read), url_guard (control characters in URLs), login_throttling (the
admin's lockout page), request_context (request, user and issue in every log line),
task_observability (the same for tasks, and their metrics), monitoring (/readyz and
/metrics), worker_status (queues and workers for the desk), migration_safety (blocking
operations on big tables), backups (backup and restore of database and files).
"""
