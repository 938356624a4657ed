// lstm-viz: Gate Heatmaps' heatmap on a canvas (a Streamlit st.components.v2 component).
//
// The server sends one quantity of the shown units over every step (lstm_viz/ui/heatmap_view.py
// describes the data); everything a reader does with the heatmap is drawn here: the cells, the lines
// of the current step and unit, the colour bar, the hovered cell's values. A click moves the lines at
// once and reports the cell, which the server makes the shared step and unit.
//
// Safety: tokens reach the page through textContent and the canvas's fillText, never as markup. The
// colours come from the data and the --lv- CSS variables (lstm_viz/plots/colours.py).

import { fixed, shadeOf } from './format.js';
import { Component, axisLabel, element, floats, littleEndian, mountOn, stepCaption } from './component.js';

const LEFT = 52; // px for the unit labels
const RIGHT = 78; // px for the colour bar and its labels
const TOP = 6;
const FONT = '12px sans-serif';
const MIN_ROW = 3; // px: a unit's row is never thinner
const MAX_ROW = 18;
const HEIGHT = 420; // px of cells the heatmap aims at (as the Plotly chart had)

const instances = new WeakMap(); // host element -> Heatmap

export default function heatmap(component) {
  return mountOn(component, instances, (host) => new Heatmap(host));
}

class Heatmap extends Component {
  constructor(host) {
    super(host, '.lv-heatmap');
    this.id = null;
    this.seq = null;
    const on = this.on.bind(this);
    const canvas = this.el.canvas;
    on(canvas, 'mousemove', (e) => this.hover(e));
    on(canvas, 'mouseleave', () => this.hideTip());
    on(canvas, 'click', (e) => this.click(e));
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.el.frame);
  }

  check() {
    littleEndian();
  }

  destroy() {
    super.destroy();
    this.resize.disconnect();
  }

  fail(err) {
    if (this.destroyed) return;
    this.root.dataset.state = 'failed';
    const reason = err && err.message ? err.message : String(err);
    if (this.setStateValue) this.setStateValue('view', { id: this.id, live: false, failed: reason });
  }

  receive(data) {
    if (!data || !data.id) return;
    if (data.id !== this.id) {
      if (data.values === undefined) return this.resend(data.id); // a move of data this copy never had
      this.id = data.id;
      this.data = data;
      this.values = floats(data.values);
      this.n = data.n;
      this.units = data.units;
      this.row = new Map(data.units.map((u, i) => [u, i]));
      this.el.title.textContent = data.title;
      this.labels = null;
      this.boxes = data.boxes ? floats(data.boxes.values) : null; // step, unit shown, quantity
      this.unknown = new Map(data.unknown || []);
    }
    if (data.seq !== this.seq) {
      this.seq = data.seq;
      this.step = data.step;
      this.unit = data.unit;
      this.moved = false;
    }
    const first = this.root.dataset.state !== 'live';
    this.root.dataset.state = 'live';
    this.draw();
    if (first) this.report(); // the first report says the canvas runs: the server drops its Plotly stand-in
  }

  // ask the server for the whole of the view's data (it sent only a move)
  resend(id) {
    if (this.setStateValue) this.setStateValue('view', { id, resend: true });
  }

  value(step, row) {
    return this.values[step * this.units.length + row];
  }

  // --- geometry ---------------------------------------------------------------------------------------

  layout() {
    const width = Math.max(this.el.frame.clientWidth, LEFT + RIGHT + 60); // narrower: the frame scrolls
    const rows = this.units.length;
    const rowH = Math.min(MAX_ROW, Math.max(MIN_ROW, Math.floor(HEIGHT / rows)));
    const plotW = width - LEFT - RIGHT;
    const colW = plotW / this.n;
    const ctx = this.el.canvas.getContext('2d');
    ctx.font = FONT;
    if (!this.labels) this.labels = this.data.tokens.map(axisLabel);
    const widest = Math.max(...this.labels.map((t) => ctx.measureText(t).width), 6);
    const turned = widest + 4 > colW; // labels read upwards when they do not fit side by side
    const bottom = 18 + (turned ? Math.min(widest, 90) : 14);
    return { width, rows, rowH, plotW, colW, turned, bottom, height: TOP + rows * rowH + bottom };
  }

  cellAt(e) {
    const g = this.geometry;
    if (!g) return null;
    const box = this.el.canvas.getBoundingClientRect();
    const x = e.clientX - box.left - LEFT;
    const y = e.clientY - box.top - TOP;
    if (x < 0 || y < 0 || x >= g.plotW || y >= g.rows * g.rowH) return null;
    return { step: this.stepAt(Math.floor(x)), row: Math.floor(y / g.rowH) };
  }

  // Step s fills the pixel columns [floor(s * colW), floor((s + 1) * colW)) of the plot; where a pixel holds
  // several steps (a long text), it shows the last of them. So pixel column px shows, and a click there picks:
  stepAt(px) {
    return Math.min(this.n - 1, Math.max(0, Math.ceil((px + 1) / this.geometry.colW) - 1));
  }

  // --- drawing ----------------------------------------------------------------------------------------

  draw() {
    if (this.destroyed || !this.data || this.root.dataset.state !== 'live') return;
    const g = (this.geometry = this.layout());
    const canvas = this.el.canvas;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(g.width * ratio);
    canvas.height = Math.round(g.height * ratio);
    canvas.style.width = `${g.width}px`;
    canvas.style.height = `${g.height}px`;
    canvas.dataset.rows = String(g.rows); // what a test needs to find a cell
    canvas.dataset.rowHeight = String(g.rowH);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const css = getComputedStyle(this.root);
    const ink = css.getPropertyValue('--lv-note').trim();
    const [lo, hi] = this.data.range;
    const shades = this.data.shades;
    const colW = g.colW;
    // one rectangle per step where a step is a pixel wide or more, else one per pixel column (stepAt's step)
    const columns = colW >= 1
      ? Array.from({ length: this.n }, (_, s) => [s, Math.floor(s * colW), Math.floor((s + 1) * colW)])
      : Array.from({ length: Math.floor(g.plotW) }, (_, px) => [this.stepAt(px), px, px + 1]);
    for (const [s, x0, x1] of columns) {
      for (let r = 0; r < g.rows; r++) {
        ctx.fillStyle = shades[shadeOf(this.value(s, r), lo, hi, shades.length)];
        ctx.fillRect(LEFT + x0, TOP + r * g.rowH, Math.max(1, x1 - x0), g.rowH);
      }
    }
    // the current step and unit
    ctx.strokeStyle = this.data.outline;
    ctx.lineWidth = 2;
    const sx = LEFT + (this.step + 0.5) * colW;
    ctx.beginPath();
    ctx.moveTo(sx, TOP);
    ctx.lineTo(sx, TOP + g.rows * g.rowH);
    const r = this.row.get(this.unit);
    if (r !== undefined) {
      const sy = TOP + (r + 0.5) * g.rowH;
      ctx.moveTo(LEFT, sy);
      ctx.lineTo(LEFT + g.plotW, sy);
    }
    ctx.stroke();
    // unit labels, as many as fit
    ctx.fillStyle = ink;
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const every = Math.ceil(14 / g.rowH);
    for (let k = 0; k < g.rows; k += every) ctx.fillText(`u${this.units[k]}`, LEFT - 6, TOP + (k + 0.5) * g.rowH);
    if (r !== undefined && r % every !== 0) { // the current unit is always named, over its neighbours' labels
      const y = TOP + (r + 0.5) * g.rowH;
      ctx.fillStyle = css.getPropertyValue('--lv-paper').trim();
      ctx.fillRect(0, y - 8, LEFT - 2, 16);
      ctx.fillStyle = ink;
      ctx.font = `bold ${FONT}`;
      ctx.fillText(`u${this.unit}`, LEFT - 6, y);
      ctx.font = FONT;
    }
    // token labels, as many as fit
    const base = TOP + g.rows * g.rowH + 4;
    const room = g.turned ? 16 : Math.max(...this.labels.map((t) => ctx.measureText(t).width)) + 6;
    const step = Math.max(1, Math.ceil(room / colW));
    for (let s = 0; s < this.n; s += step) {
      const x = LEFT + (s + 0.5) * colW;
      if (g.turned) {
        ctx.save();
        ctx.translate(x, base);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = 'right';
        ctx.fillText(this.labels[s], 0, 0);
        ctx.restore();
      } else {
        ctx.textAlign = 'center';
        ctx.textBaseline = 'top';
        ctx.fillText(this.labels[s], x, base);
      }
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText('token (step)', LEFT + g.plotW / 2, g.height - 1);
    this.drawBar(ctx, g, ink);
    this.drawBoxes();
  }

  // the step's caption and the unit's value boxes (display.unit_metrics's), where the data holds the unit's values
  drawBoxes() {
    const r = this.row.get(this.unit);
    const here = Boolean(this.boxes) && r !== undefined;
    this.root.dataset.boxes = String(here);
    if (!here) return;
    const labels = this.data.boxes.labels;
    const at = (this.step * this.units.length + r) * labels.length;
    this.el.caption.replaceChildren(
      ...stepCaption(this.step, this.n, this.data.tokens[this.step], this.unknown.get(this.step)),
      document.createTextNode(' · unit '),
      element('b', '', String(this.unit)),
      document.createTextNode(' · click a cell of the heatmap to select its step and unit'),
    );
    const values = this.el.values;
    if (values.children.length !== labels.length) {
      values.replaceChildren(...labels.map((label) => {
        const box = element('div', 'lvs-value');
        box.append(element('div', 'lvs-label', label), element('div', 'lvs-number'));
        return box;
      }));
    }
    labels.forEach((_, q) => {
      values.children[q].lastChild.textContent = fixed(this.boxes[at + q], 4);
    });
  }

  drawBar(ctx, g, ink) {
    const [lo, hi] = this.data.range;
    const shades = this.data.shades;
    const x = LEFT + g.plotW + 14;
    const h = Math.min(g.rows * g.rowH, 300);
    for (let k = 0; k < shades.length; k++) {
      ctx.fillStyle = shades[shades.length - 1 - k];
      ctx.fillRect(x, TOP + (k * h) / shades.length, 14, Math.ceil(h / shades.length));
    }
    ctx.fillStyle = ink;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(fixed(hi, 2), x + 18, TOP);
    ctx.textBaseline = 'bottom';
    ctx.fillText(fixed(lo, 2), x + 18, TOP + h);
    ctx.textBaseline = 'middle';
    ctx.fillText(this.data.symbol, x + 18, TOP + h / 2);
  }

  // --- what the reader does ---------------------------------------------------------------------------

  hover(e) {
    const at = this.cellAt(e);
    if (!at) return this.hideTip();
    const tip = this.el.tip;
    const unit = this.units[at.row];
    tip.textContent =
      `step ${at.step}: ${JSON.stringify(this.data.tokens[at.step])}\nunit ${unit}\n` +
      `${this.data.symbol} = ${fixed(this.value(at.step, at.row), 4)}`;
    tip.hidden = false;
    const box = this.el.frame.getBoundingClientRect();
    const left = Math.min(e.clientX - box.left + 14, box.width - tip.offsetWidth - 4);
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${e.clientY - box.top + 14}px`;
  }

  hideTip() {
    this.el.tip.hidden = true;
  }

  click(e) {
    const at = this.cellAt(e);
    if (!at) return;
    this.step = at.step;
    this.unit = this.units[at.row];
    this.moved = true;
    this.draw();
    this.report();
  }

  report() {
    if (this.destroyed || !this.setStateValue) return;
    this.setStateValue('view', {
      id: this.id,
      seq: this.seq,
      step: this.step,
      unit: this.unit,
      live: true,
      moved: this.moved,
    });
  }
}
