# The product's image: the same code and pinned dependencies for web, workers and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Noto CJK for the PDF, poppler for page counts, gettext for the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk poppler-utils gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Bytecode for the project's own modules, made once here: the containers write none
# (PYTHONDONTWRITEBYTECODE, a read-only image), and without it every process start
# (each worker, each render_issue) would compile them from source again.
RUN python -m compileall -q bulletin editorial
RUN DEBUG=1 python manage.py compilemessages --ignore=.venv >/dev/null
# Hashed, compressed static files in the image, so every web container serves the same
# (the key only lets the settings load for this one command).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput >/dev/null
RUN useradd --create-home bulletin && mkdir -p /srv/media && chown bulletin /srv/media
USER bulletin
EXPOSE 8000
CMD ["gunicorn", "bulletin.wsgi", "--workers", "4", "--bind", "0.0.0.0:8000"]
