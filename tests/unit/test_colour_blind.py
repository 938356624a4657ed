"""Every colour scale stays readable to a reader with deuteranopia (the commonest colour-vision
deficiency), simulated with the matrix of Machado, Oliveira and Fernandes (2009, severity 1).

A continuous scale must keep its order in lightness alone after the simulation; the signed scale
must keep its two sides apart; the class and cell palettes must stay distinguishable pairwise."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lstm_viz.plots import colours

DEUTERANOPIA = np.array(  # linear RGB, severity 1.0
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
)


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[k : k + 2], 16) for k in (0, 2, 4)], dtype=np.float64) / 255


def _linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def simulate(hex_colour: str) -> np.ndarray:
    """Linear RGB of the colour as seen with deuteranopia."""
    return np.clip(DEUTERANOPIA @ _linear(_rgb(hex_colour)), 0, 1)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear RGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear_rgb
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(hex_colour: str) -> np.ndarray:
    return lab(simulate(hex_colour))


def test_the_simulation_is_the_published_one():
    assert np.allclose(simulate("#ffffff"), 1, atol=0.01)  # white stays white
    red, green = seen("#ff0000"), seen("#00ff00")
    assert np.linalg.norm(red[1:] - green[1:]) < 40  # red and green collapse towards one hue
    assert np.linalg.norm(lab(_linear(_rgb("#ff0000")))[1:] - lab(_linear(_rgb("#00ff00")))[1:]) > 150


@pytest.mark.parametrize("name", ["gate", "probability", "surprise", "influence"])
def test_one_sided_scales_keep_their_order_in_lightness(name):
    scale = colours.SCALES[name]
    lo, hi = scale.value_range()
    shades = [seen(scale.colour(v, (lo, hi)))[0] for v in np.linspace(lo, hi, 11)]
    steps = np.diff(shades)
    assert np.all(steps > 0) or np.all(steps < 0), f"{name}: lightness {np.round(shades, 1)} is not monotonic"
    assert abs(shades[-1] - shades[0]) > 40, f"{name}: its ends differ by only {abs(shades[-1] - shades[0]):.0f} L*"


def test_the_signed_scale_keeps_its_two_sides_apart():
    scale, span = colours.SIGNED, (-1.0, 1.0)
    centre = seen(scale.colour(0.0, span))
    for v in (0.25, 0.5, 1.0):
        neg, pos = seen(scale.colour(-v, span)), seen(scale.colour(v, span))
        assert neg[0] < centre[0] - 5 * v and pos[0] < centre[0] - 5 * v  # both sides darker than zero
        assert np.linalg.norm(neg - pos) > 20 * v, f"at ±{v} the two sides look alike: {neg} vs {pos}"


@pytest.mark.parametrize("palette", [colours.CLASS_COLOURS[:7], tuple(colours.CELL_COLOURS.values())])
def test_palettes_stay_distinguishable(palette):
    for a, b in itertools.combinations(palette, 2):
        assert np.linalg.norm(seen(a) - seen(b)) > 15, f"{a} and {b} look alike with deuteranopia"
