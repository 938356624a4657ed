"""Shared test set-up: test modules may import their siblings by bare name (``from test_jobs
import ...``, ``from browser_helpers import ...``) as well as by package path."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE / "browser"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
