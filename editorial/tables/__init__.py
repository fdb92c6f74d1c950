"""Tables in and out: spreadsheets of articles, indicators, metrics and subscribers.

reading.py decodes uploads (CSV in UTF-8 or GB18030, XLSX checked first, a row cap);
cells.py reads cells; definitions.py describes each table (columns, natural keys, the
look-ups loaded once); service.py is the one way in for imports (validate the whole file,
then write in bulk with history), jobs.py runs big files on a worker; writing.py writes
CSV and XLSX for Excel with formulas escaped; resources.py holds django-import-export's
resources for the admin's exports; formats.py plugs our readers and writers into it.
"""
