"""KaTeX in the browser, without a network: the vendored build (``katex/``, MIT licence in ``katex/LICENSE``).

:func:`mount` puts an empty component on the page whose script defines ``window.katex`` and whose
stylesheet is KaTeX's, with its fonts (woff2) inlined as data URIs. Its message never changes, so
Streamlit sends it to a browser once and a reference after that. Components that typeset in the
browser (the Equations stepper) wait for ``window.katex``.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import streamlit as st

FILES = Path(__file__).resolve().with_name("katex")
VERSION = "0.16.47"  # the npm package katex, copied from its dist/ folder (the minified script, the CSS, woff2 fonts)
KEY = "lv_katex"


def _font(match: re.Match) -> str:
    """One @font-face with its woff2 file inlined (the woff and ttf fallbacks dropped)."""
    name = match.group(1)
    data = base64.b64encode((FILES / "fonts" / f"{name}.woff2").read_bytes()).decode("ascii")
    return f'src:url(data:font/woff2;base64,{data}) format("woff2")'


def stylesheet() -> str:
    """KaTeX's CSS with every font a data URI (no request leaves the page)."""
    css = (FILES / "katex.min.css").read_text(encoding="utf-8")
    css, count = re.subn(r'src:url\(fonts/(KaTeX_[\w-]+)\.woff2\) format\("woff2"\)[^;}]*', _font, css)
    if count != len(list((FILES / "fonts").glob("*.woff2"))):
        raise RuntimeError("katex.min.css does not name each vendored font once")
    return "/* KaTeX's stylesheet, its fonts inlined */\n" + css  # a newline: Streamlit reads one line as a path


SCRIPT = (FILES / "katex.min.js").read_text(encoding="utf-8") + "\nexport default function () {}\n"

COMPONENT = st.components.v2.component("lstm_viz_katex", html="", css=stylesheet(), js=SCRIPT, isolate_styles=False)


def mount() -> None:
    """Load KaTeX into the page (call once on a page that typesets in the browser; draws nothing)."""
    COMPONENT(key=KEY, height=0)
