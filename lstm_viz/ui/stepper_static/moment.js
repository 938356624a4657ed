// lstm-viz: the Neuron Lab's ranking at a step ("A moment"), stepped in the browser (a Streamlit
// st.components.v2 component).
//
// The server sends each step's frame by chunk (lstm_viz/ui/moment_stepper.py writes them; frames.js steps
// through them): the caption, the sentence on the best unit, the table of the units that changed most, and
// which units the chart shows on which scale. With a new view come, once, the charted quantity's values along
// the text. Here a step is drawn the moment the reader moves to it; a row chosen in the table goes to the
// server, which makes its unit the unit of every page.
//
// Safety: every string reaches the page through textContent (the caption's **bold** and `code` become
// elements) or the canvas's fillText, never as markup.

import { fixed } from './format.js';
import { axisLabel, element, floats, inline, littleEndian, mountOn } from './component.js';
import { FrameStepper } from './frames.js';

const LEFT = 48; // px for the value labels
const RIGHT = 14;
const PANEL = 64; // px of plot per unit
const GAP = 22; // px above each plot, for its title
const FONT = '12px sans-serif';
const MAX_LINES = 40; // units' lines kept drawn

const instances = new WeakMap(); // host element -> Moment

export default function moment(component) {
  return mountOn(component, instances, (host) => new Moment(host));
}

const FAILED = (reason) =>
  `The interactive ranking could not start (${reason}), so the view below is drawn by the server, ` +
  'one round trip per step.';

class Moment extends FrameStepper {
  constructor(host) {
    super(host, '.lv-moment', FAILED);
    this.needsExtra = true; // the values along the text come once with a view
    const on = this.on.bind(this);
    on(this.el.canvas, 'mousemove', (e) => this.hover(e));
    on(this.el.canvas, 'mouseleave', () => this.hideTip());
    on(this.el.rows, 'click', (e) => this.pickRow(e.target));
    on(this.el.rows, 'keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.pickRow(e.target);
      }
    });
    this.resize = new ResizeObserver(() => this.drawChart());
    this.resize.observe(this.el.frame);
  }

  check() {
    littleEndian();
  }

  destroy() {
    super.destroy();
    this.resize.disconnect();
  }

  newView(extra) {
    this.series = extra;
    this.values = floats(extra.values);
    this.column = new Map(extra.units.map((u, i) => [u, i]));
    this.el.title.textContent = extra.title;
    this.labels = extra.tokens.map(axisLabel);
    this.frame = null;
    this.room = null; // px a token label needs (drawChart measures it)
    this.lines = new Map(); // a unit's line, drawn (line())
  }

  value(step, unit) {
    return this.values[step * this.series.units.length + this.column.get(unit)];
  }

  waiting() {
    this.el.info.textContent = '';
    this.el.ranking.hidden = true;
  }

  show(f) {
    this.frame = f;
    this.el.caption.replaceChildren(inline(f.caption));
    if (f.notice !== undefined) {
      this.el.info.textContent = f.notice;
      this.el.ranking.hidden = true;
      return;
    }
    this.el.info.textContent = f.info;
    this.el.ranking.hidden = false;
    this.el.head.replaceChildren(...f.columns.map((c) => element('th', '', c)));
    const charted = new Map(f.units.map((u, i) => [u, i]));
    this.el.rows.replaceChildren(...f.rows.map(([unit, ...cells]) => {
      const tr = element('tr');
      tr.tabIndex = 0;
      tr.dataset.unit = String(unit);
      tr.setAttribute('aria-selected', String(unit === this.unit)); // the current unit
      const first = element('td');
      if (charted.has(unit)) {
        const swatch = element('i');
        swatch.style.background = this.series.colours[charted.get(unit)];
        first.append(swatch);
      }
      first.append(String(unit));
      tr.append(first, ...cells.map((v) => element('td', '', typeof v === 'number' ? fixed(v, 4) : v)));
      return tr;
    }));
    this.drawChart();
  }

  pickRow(target) {
    const tr = target instanceof Element ? target.closest('tr[data-unit]') : null;
    if (!tr || this.state !== 'live') return;
    const unit = Number(tr.dataset.unit);
    for (const row of this.el.rows.children) row.setAttribute('aria-selected', String(row === tr));
    this.choose(unit);
  }

  // --- the chart along the text: one row per charted unit, the step marked --------------------------

  layout() {
    const width = Math.max(this.el.frame.clientWidth, LEFT + RIGHT + 60);
    const plotW = width - LEFT - RIGHT;
    const colW = plotW / this.n;
    const rows = this.frame.units.length;
    return { width, plotW, colW, rows, height: rows * (GAP + PANEL) + 54 };
  }

  drawChart() {
    const f = this.frame;
    if (this.destroyed || !f || f.notice !== undefined || this.state !== 'live') return;
    const g = (this.geometry = this.layout());
    const canvas = this.el.canvas;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(g.width * ratio);
    canvas.height = Math.round(g.height * ratio);
    canvas.style.width = `${g.width}px`;
    canvas.style.height = `${g.height}px`;
    canvas.dataset.rows = String(g.rows); // what a test needs to find a point
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw the chart on a canvas');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const ink = getComputedStyle(this.root).getPropertyValue('--lv-note').trim();
    const rule = getComputedStyle(this.root).getPropertyValue('--lv-rule').trim();
    const [lo, hi] = f.range;
    const yOf = (top, v) => top + PANEL - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo || 1)) * PANEL;
    ctx.font = FONT;
    f.units.forEach((unit, r) => {
      const top = r * (GAP + PANEL) + GAP;
      ctx.fillStyle = ink;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText(`unit ${unit}`, LEFT, top - 4);
      ctx.strokeStyle = rule;
      ctx.lineWidth = 1;
      ctx.strokeRect(LEFT, top, g.plotW, PANEL);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(fixed(hi, 2), LEFT - 6, top + 6);
      ctx.fillText(fixed(lo, 2), LEFT - 6, top + PANEL - 6);
      ctx.drawImage(this.line(unit, this.series.colours[r], g, ratio, yOf), LEFT, top, g.plotW, PANEL);
      // the step
      ctx.strokeStyle = this.series.outline;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      const sx = LEFT + (this.step + 0.5) * g.colW;
      ctx.moveTo(sx, top);
      ctx.lineTo(sx, top + PANEL);
      ctx.stroke();
      ctx.setLineDash([]);
    });
    // token labels under the last row, as many as fit
    ctx.fillStyle = ink;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const base = g.rows * (GAP + PANEL) + 4;
    if (this.room === null) this.room = Math.max(...this.labels.map((t) => ctx.measureText(t).width), 6) + 8;
    const room = Math.max(this.room, ctx.measureText(String(this.n - 1)).width + 8); // measured once per view
    const every = Math.max(1, Math.ceil(room / g.colW));
    for (let s = 0; s < this.n; s += every) {
      ctx.fillText(this.labels[s], LEFT + (s + 0.5) * g.colW, base);
      ctx.fillText(String(s), LEFT + (s + 0.5) * g.colW, base + 14); // its step
    }
    ctx.textBaseline = 'bottom';
    ctx.fillText('token (step)', LEFT + g.plotW / 2, g.height - 1);
  }

  // One unit's line along the text, drawn once on a canvas of its own and kept (a long text's line is thousands
  // of segments; the units of one step's chart come back at the next).
  line(unit, colour, g, ratio, yOf) {
    const key = `${unit} ${colour} ${g.plotW} ${ratio} ${this.frame.range}`;
    let found = this.lines.get(key);
    if (found) {
      this.lines.delete(key); // to the end: the least recently drawn go first
    } else {
      found = document.createElement('canvas');
      found.width = Math.round(g.plotW * ratio);
      found.height = Math.round(PANEL * ratio);
      const ctx = found.getContext('2d');
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      if (g.colW >= 2) this.stroke(ctx, unit, colour, g, yOf);
      else this.columns(ctx, unit, colour, g, yOf);
      if (this.lines.size >= MAX_LINES) this.lines.delete(this.lines.keys().next().value);
    }
    this.lines.set(key, found);
    return found;
  }

  // the line through every step (a step is 2 px wide or more)
  stroke(ctx, unit, colour, g, yOf) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (let s = 0; s < this.n; s++) {
      const x = (s + 0.5) * g.colW;
      const y = yOf(0, this.value(s, unit));
      if (s === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    if (this.n === 1) ctx.lineTo(g.plotW, yOf(0, this.value(0, unit)));
    ctx.stroke();
  }

  // where steps are narrower: per pixel column, a bar from the lowest to the highest value of its steps (and of the
  // step before, which the line would join), what the line would cover, at a fraction of a stroke's cost
  columns(ctx, unit, colour, g, yOf) {
    ctx.fillStyle = colour;
    let before = null;
    for (let px = 0; px < Math.ceil(g.plotW); px++) {
      const first = Math.floor(px / g.colW);
      if (first >= this.n) break;
      const last = Math.min(this.n - 1, Math.max(first, Math.ceil((px + 1) / g.colW) - 1));
      let top = before === null ? Infinity : before;
      let bottom = before === null ? -Infinity : before;
      for (let s = first; s <= last; s++) {
        const y = yOf(0, this.value(s, unit));
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
      ctx.fillRect(px, top - 1, 1, bottom - top + 2);
      before = yOf(0, this.value(last, unit));
    }
  }

  hover(e) {
    const g = this.geometry;
    const f = this.frame;
    if (!g || !f || f.notice !== undefined) return this.hideTip();
    const box = this.el.canvas.getBoundingClientRect();
    const x = e.clientX - box.left - LEFT;
    const y = e.clientY - box.top;
    const r = Math.floor(y / (GAP + PANEL));
    if (x < 0 || x >= g.plotW || r < 0 || r >= g.rows || y - r * (GAP + PANEL) < GAP) return this.hideTip();
    const step = Math.min(this.n - 1, Math.floor(x / g.colW));
    const unit = f.units[r];
    const tip = this.el.tip;
    tip.textContent =
      `unit ${unit}\nstep ${step}: ${JSON.stringify(this.series.tokens[step])}\n` +
      `${this.series.symbol} = ${fixed(this.value(step, unit), 4)}`;
    tip.hidden = false;
    const frame = this.el.frame.getBoundingClientRect();
    tip.style.left = `${Math.max(0, Math.min(e.clientX - frame.left + 14, frame.width - tip.offsetWidth - 4))}px`;
    tip.style.top = `${e.clientY - frame.top + 14}px`;
  }

  hideTip() {
    this.el.tip.hidden = true;
  }
}
