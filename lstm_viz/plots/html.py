"""HTML for the views that redraw at every step: one template engine (Jinja2, autoescaped), one stylesheet.

Builders in :mod:`.strips`, :mod:`.generation` and :mod:`.classify` turn numbers into plain values and render a
template from ``templates/``; anything typed by a user reaches the page only as escaped text.
The one stylesheet (``templates/style.css``, then ``colours.PAGE`` as the ``--lv-`` CSS variables
it uses and the colour classes of :mod:`.colours`) is put on the page once per run by the app
(:func:`lstm_viz.ui.display.stylesheet`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2

from lstm_viz.plots import colours

TEMPLATES = Path(__file__).resolve().parent / "templates"
VISIBLE = {"\n": "↵", " ": "␣", "\t": "⇥"}  # whitespace made visible wherever a token is shown


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&])")


def as_text(text: str) -> str:
    """``text`` (a nickname, a message quoting one, a label from a card) shown as itself by Streamlit's Markdown: no
    bold, link, HTML or formula; every character that Markdown, HTML or LaTeX would read is escaped."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def visible(piece: str) -> str:
    """A token as the app prints it: ↵ for a newline, ␣ for a space, ⇥ for a tab, ◆ for a style symbol."""
    return "".join(VISIBLE.get(c, "◆" if "\ue000" <= c <= "\uf8ff" else c) for c in piece)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["visible"] = visible
    return env


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with ``context`` (every value escaped unless marked safe)."""
    return environment().get_template(template).render(**context)


def css_variables() -> str:
    """``:root`` with one CSS variable per colour of ``colours.PAGE`` (``--lv-NAME``): what the stylesheets use."""
    return render("palette.css.j2", variables=colours.PAGE, shades={})


@functools.cache
def stylesheet() -> str:
    """The app's one stylesheet: layout rules, the colours as CSS variables, one class per shade of every scale."""
    shades = {name: colours.palette(name) for name in colours.SCALES}
    return (TEMPLATES / "style.css").read_text(encoding="utf-8") + render(
        "palette.css.j2", variables=colours.PAGE, shades=shades
    )
