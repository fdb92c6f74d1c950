"""Backup and restore of a site: the database (pg_dump, custom format) and every stored file.

A backup is a folder::

    database.dump     pg_dump --format=custom of the site's database
    media/<name>      each file of the default storage (bucket or MEDIA_ROOT) by its name
    manifest.json     when, from which database, and each file's size and SHA-256

The files are read and written through the storage API, so a backup taken from a bucket
restores to a folder and the other way round. Restore goes into an empty database (one
``createdb`` made, no migrations run) and an empty bucket or MEDIA_ROOT: it refuses
anything else rather than mix two sites. The commands ``backup_site`` and
``restore_site`` call these; docs/operations.md has the procedure.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection
from django.utils import timezone

DUMP_NAME = "database.dump"
MEDIA_FOLDER = "media"
MANIFEST_NAME = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


@dataclass
class BackupReport:
    folder: Path
    files: int
    bytes: int


def _libpq_environment() -> dict[str, str]:
    """The connection of Django's default database, as libpq's environment variables."""
    db = connection.settings_dict
    if "postgresql" not in db["ENGINE"]:
        raise BackupError("Backups need PostgreSQL (DATABASE_URL); this site uses another database.")
    env = dict(os.environ)
    for key, value in {
        "PGHOST": db.get("HOST") or "127.0.0.1", "PGPORT": str(db.get("PORT") or 5432),
        "PGUSER": db.get("USER") or "", "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db["NAME"],
    }.items():
        if value:
            env[key] = value
    return env


def _run(command: list[str]) -> None:
    done = subprocess.run(command, env=_libpq_environment(), capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def stored_names(storage: Storage, folder: str = "") -> list[str]:
    """Every file name in ``storage`` below ``folder``, sorted."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a MEDIA_ROOT nothing was ever stored in
        return []
    names = [posixpath.join(folder, name) if folder else name for name in files]
    for sub in folders:
        names.extend(stored_names(storage, posixpath.join(folder, sub) if folder else sub))
    return sorted(names)


def _copy(source, target) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def back_up(folder: Path, *, storage: Storage | None = None) -> BackupReport:
    """Dump the database and copy every stored file into ``folder`` (new or empty)."""
    storage = storage or default_storage
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; a backup goes into a new folder.")
    (folder / MEDIA_FOLDER).mkdir(parents=True, exist_ok=True)
    # Custom format: compressed, and pg_restore can restore it in parallel or in part.
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          f"--file={folder / DUMP_NAME}"])
    files, total = {}, 0
    for name in stored_names(storage):
        target = folder / MEDIA_FOLDER / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, open(target, "wb") as out:
            size, digest = _copy(source, out)
        files[name] = {"size": size, "sha256": digest}
        total += size
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": connection.settings_dict["NAME"],
        "files": files,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return BackupReport(folder=folder, files=len(files), bytes=total)


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return cursor.fetchone()[0] == 0


def restore(folder: Path, *, storage: Storage | None = None) -> BackupReport:
    """Restore a backup folder into this site's (empty) database and storage."""
    storage = storage or default_storage
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} holds no readable {MANIFEST_NAME}: {exc}") from exc
    if not (folder / DUMP_NAME).is_file():
        raise BackupError(f"{folder} holds no {DUMP_NAME}.")
    if not _database_is_empty():
        raise BackupError("The database is not empty; restore into a new one (createdb).")
    if stored_names(storage):
        raise BackupError("The storage already holds files; restore into an empty one.")
    # Check every file before anything is written.
    damaged = verify(folder)
    if damaged:
        raise BackupError(f"The backup's copies of {', '.join(damaged[:5])} are missing or damaged.")
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", f"--dbname={connection.settings_dict['NAME']}",
          str(folder / DUMP_NAME)])
    total = 0
    for name, expected in manifest["files"].items():
        with open(folder / MEDIA_FOLDER / name, "rb") as source:
            saved = storage.save(name, File(source, name=posixpath.basename(name)))
        if saved != name:  # the rows name the file: another name would orphan it
            raise BackupError(f"{name} was stored as {saved}.")
        total += expected["size"]
    return BackupReport(folder=folder, files=len(manifest["files"]), bytes=total)


def verify(folder: Path) -> list[str]:
    """The names whose copy in ``folder`` does not match the manifest's SHA-256."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    wrong = []
    for name, expected in manifest["files"].items():
        digest = hashlib.sha256()
        try:
            with open(folder / MEDIA_FOLDER / name, "rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            wrong.append(name)
            continue
        if digest.hexdigest() != expected["sha256"]:
            wrong.append(name)
    return wrong
