"""Where the app and the shipped files are, in a checkout and in an installed package.

A checkout keeps ``app.py``, ``app_pages/`` and ``assets/`` next to the ``lstm_viz`` folder. A
wheel carries copies of them inside the package, as ``lstm_viz/_app/`` and ``lstm_viz/_assets/``
(see ``[tool.setuptools]`` in pyproject.toml), so ``lstm-viz`` works from any folder once installed.
The copy inside the package wins where both exist; ``LSTM_VIZ_ASSETS`` (read at import) names
another assets folder, laid out as ``assets/`` is: ``models/``, ``lessons/``, ``data/``, ``lstm_cell.svg``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def _inside_or_beside(bundled: Path, checkout: Path) -> Path:
    return bundled if bundled.exists() else checkout


def assets_dir() -> Path:
    """The assets folder: ``$LSTM_VIZ_ASSETS``, else the package's own copy, else the checkout's ``assets/``."""
    named = os.environ.get("LSTM_VIZ_ASSETS")
    if named:
        return Path(named).expanduser().resolve()
    return _inside_or_beside(PACKAGE / "_assets", CHECKOUT / "assets")


def app_file() -> Path:
    """The Streamlit entry point ``app.py`` (its pages are in ``app_pages/`` beside it)."""
    return _inside_or_beside(PACKAGE / "_app" / "app.py", CHECKOUT / "app.py")


ASSETS = assets_dir()
APP = app_file()
