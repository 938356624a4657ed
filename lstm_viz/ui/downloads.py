"""Download buttons: a file built only when pressed, its type following its ending."""

from __future__ import annotations

MIMES = {".csv": "text/csv", ".json": "application/json", ".md": "text/markdown", ".png": "image/png"}


def download(where, label: str, data, file_name: str, key: str, tip: str | None = None, icon: str = "download"):
    """A download button (``tip`` on hover); ``data`` may be a function, built only when pressed; the type
    follows the file's ending."""
    suffix = file_name[file_name.rfind(".") :]
    where.download_button(
        label, data, file_name=file_name, mime=MIMES[suffix], key=key, icon=f":material/{icon}:", help=tip
    )
