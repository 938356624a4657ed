"""A scene as a PNG picture, for a handout or a slide: the title, the words, and the text on the stop's colour scale.

Drawn with Pillow (which ships with Streamlit), so it needs no browser: each token a box on its
value's colour (from :mod:`.colours`), the current step outlined, the narration wrapped below.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lstm_viz.plots import colours
from lstm_viz.plots.html import visible

WIDTH = 1400
MARGIN = 40
_FONTS = ("DejaVuSansMono.ttf", "DejaVuSans.ttf")


def _font(size: int, mono: bool = False):
    try:
        return ImageFont.truetype(_FONTS[0] if mono else _FONTS[1], size)
    except OSError:  # no DejaVu on this machine: Pillow's own font, still legible
        return ImageFont.load_default(size)


def scene_png(
    title: str,
    narration: str,
    tokens: list[str] | None = None,
    values: np.ndarray | None = None,
    scale: colours.Scale = colours.SIGNED,
    value_range: tuple[float, float] | None = None,
    current: int | None = None,
) -> bytes:
    """PNG bytes: ``title``, the token strip (coloured by ``values`` on ``scale``) and the wrapped ``narration``."""
    big, mono, body = _font(34), _font(26, mono=True), _font(24)
    lines = textwrap.wrap(narration, width=100) or [""]
    boxes, x, y = [], MARGIN, 0
    char_w, line_h = 17, 48
    for t, token in enumerate(tokens or []):
        shown = visible(token) or " "
        w = char_w * len(shown) + 14
        if x + w > WIDTH - MARGIN:
            x, y = MARGIN, y + line_h
        boxes.append((t, shown, x, y, w))
        x += w + 4
    strip_h = (y + line_h + 20) if tokens else 0
    height = MARGIN + 60 + strip_h + 34 * len(lines) + MARGIN
    image = Image.new("RGB", (WIDTH, height), colours.BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), title, fill=colours.OUTLINE, font=big)
    top = MARGIN + 60
    if tokens:
        shades = None
        if values is not None:
            span = value_range or scale.value_range(values)
            shades = scale.colours(np.asarray(values, dtype=np.float64), span)
        for t, shown, bx, by, w in boxes:
            background = shades[t] if shades else colours.BACKGROUND
            edge = colours.OUTLINE if t == current else colours.GUIDE
            box = [bx, top + by, bx + w, top + by + line_h - 8]
            draw.rectangle(box, fill=background, outline=edge, width=4 if t == current else 1)
            draw.text((bx + 7, top + by + 6), shown, fill=colours.text_on(background), font=mono)
    for k, line in enumerate(lines):
        draw.text((MARGIN, top + strip_h + 34 * k), line, fill=colours.OUTLINE, font=body)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
