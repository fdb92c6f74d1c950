"""A web worker loads its URLconf when it boots, not on its first request.

The URLconf brings the admin, the API and every view module with it (about 0.8 s), so a
worker that loads it lazily makes its first reader, or the load balancer's health check,
wait that long after every deploy and every worker restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import sys, {module}; print('bulletin.urls' in sys.modules, 'editorial.api.site' in sys.modules)"


@pytest.mark.parametrize("module", ["bulletin.wsgi", "bulletin.asgi"])
def test_the_entry_point_loads_the_urlconf(module):
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "bulletin.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert done.stdout.split() == ["True", "True"]
