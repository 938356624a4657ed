// lstm-viz: the Step Through stepper, in the browser (a Streamlit st.components.v2 component).
//
// The server sends one layer of a Trace once (lstm_viz/plots/stepper_payload.py builds it; the
// protocol is described in lstm_viz/ui/stepper.py). Everything that depends on the step is drawn
// here: stepping, playing and hovering never wait for the server. The view (step, unit, colour,
// order) is reported back REPORT_DELAY_MS after the last change, so the other pages and the share
// link follow; missing chunks of values are asked for at once.
//
// Safety: every string from the data (tokens, labels) reaches the page through textContent or
// an attribute, never as markup. Colours all come from the data (lstm_viz/plots/colours.py).
// Numbers and sentences are written by format.js (stepper.py puts it here in place of the import).

import { changed, fill, fixed, percent, shadeOf, signed, windowOf } from './format.js';
import {
  ACTIVATES, Component, bytesOf, element, keyTarget, littleEndian, mountOn, moveFor, stepCaption, stepsOn,
} from './component.js';

const FORMAT = 2; // stepper_payload.FORMAT
const REPORT_DELAY_MS = 300; // the view goes to the server this long after the last key press
const REQUEST_RETRY_MS = 5000; // a chunk asked for and not received by then is asked for again

const instances = new WeakMap(); // host element -> Stepper (the function below runs again on new data)

export default function stepper(component) {
  return mountOn(component, instances, (host) => new Stepper(host));
}

const f32 = (b64) => new Float32Array(bytesOf(b64).buffer);
const u16 = (b64) => new Uint16Array(bytesOf(b64).buffer);

// The values of one chunk: inflate, then put each float's four bytes back together.
async function inflate(b64) {
  const stream = new Blob([bytesOf(b64)]).stream().pipeThrough(new DecompressionStream('deflate'));
  const grouped = new Uint8Array(await new Response(stream).arrayBuffer());
  const n = grouped.length / 4;
  const bytes = new Uint8Array(grouped.length);
  for (let b = 0; b < 4; b++) {
    const plane = grouped.subarray(b * n, (b + 1) * n);
    for (let i = 0; i < n; i++) bytes[4 * i + b] = plane[i];
  }
  return new Float32Array(bytes.buffer);
}

// --- the stepper ----------------------------------------------------------------------------------

class Stepper extends Component {
  constructor(host) {
    super(host, '.lv-stepper');
    this.payload = null;
    this.state = 'loading';
    const on = this.on.bind(this);
    on(window, 'keydown', (e) => this.key(e), { capture: true });
    for (const button of this.root.querySelectorAll('button[data-act]')) {
      on(button, 'mousedown', (e) => e.preventDefault()); // a click leaves the focus where it was: Space still plays
      on(button, 'click', () => this.act(button.dataset.act));
    }
    on(this.el.slider, 'input', () => this.setStep(Number(this.el.slider.value)));
    on(this.el.unit, 'change', () => this.el.unit.value !== '' && this.setUnit(Number(this.el.unit.value)));
    on(this.el.colour, 'change', () => this.change({ colour: this.el.colour.value }));
    on(this.el.order, 'change', () => this.change({ order: this.el.order.value }));
    on(this.el.speed, 'change', () => this.setSpeed(Number(this.el.speed.value)));
    on(this.el.strip, 'click', (e) => {
      const unit = e.target.dataset && e.target.dataset.unit;
      if (unit !== undefined) this.setUnit(Number(unit));
    });
    on(this.el.strip, 'mouseover', (e) => {
      if (e.target.dataset && e.target.dataset.unit !== undefined) this.hover(e.target);
    });
  }

  check() {
    if (typeof DecompressionStream !== 'function') throw new Error('this browser has no DecompressionStream');
    littleEndian();
  }

  destroy() {
    super.destroy();
    this.stop(false);
    clearTimeout(this.timer);
  }

  fail(err) {
    if (this.destroyed) return;
    this.state = 'failed';
    this.root.dataset.state = 'failed';
    this.stop(false);
    const reason = err && err.message ? err.message : String(err);
    this.el.notice.textContent =
      `The interactive stepper could not start (${reason}), so the view below is drawn by the server, ` +
      'one round trip per step.';
    if (this.setStateValue) this.setStateValue('view', { id: this.payload && this.payload.id, live: false, failed: reason });
  }

  // --- data from the server -----------------------------------------------------------------------

  receive(data) {
    if (!data || !data.payload) return;
    if (data.payload.format !== FORMAT) throw new Error(`data format ${data.payload.format}, expected ${FORMAT}`);
    if (!this.payload || data.payload.id !== this.payload.id) this.load(data.payload);
    if (data.view && data.view.seq !== this.seq) this.applyView(data.view);
    this.decode(data.chunks || {});
  }

  load(p) {
    this.stop(false);
    this.payload = p;
    this.n = p.n_steps;
    this.H = p.hidden_size;
    this.Q = p.quantities.length;
    this.qIndex = Object.fromEntries(p.quantities.map((q, i) => [q.name, i]));
    this.unknown = new Map(p.unknown.map(([t, replacement]) => [t, replacement]));
    this.breaks = new Set(p.breaks);
    this.stripRange = Object.fromEntries(Object.entries(p.strip_range).map(([k, v]) => [k, f32(v)]));
    this.rowRange = Object.fromEntries(Object.entries(p.row_range).map(([k, v]) => [k, f32(v)]));
    this.orders = Object.fromEntries(
      Object.entries(p.orders).map(([k, v]) => [k, v ? u16(v) : Uint16Array.from({ length: this.H }, (_, u) => u)]),
    );
    const out = p.output;
    this.output =
      out.kind === 'next'
        ? { ...out, top: u16(out.top), topProbs: f32(out.top_probs) }
        : { ...out, probs: f32(out.probs) };
    this.chunks = new Map();
    this.requested = new Map(); // chunk -> time asked
    this.req = this.req || 0;
    this.need = [];
    this.speed = this.speed || p.speed;
    this.root.style.setProperty('--lv-outline', p.colours.outline);
    this.buildControls();
    this.buildStrip();
    this.buildColumns();
    this.showDiagram(p.diagram.kind);
  }

  // the kind's cell diagram: a copy of its <template data-diagram="KIND"> (stepper.html), one in the page at a time
  showDiagram(kind) {
    if (this.diagramKind === kind) return;
    const template = this.root.querySelector(`template[data-diagram="${kind}"]`);
    if (!template) throw new Error(`no diagram of a ${kind} cell`);
    this.el.diagram.replaceChildren(template.content.cloneNode(true));
    this.el.rnn.hidden = kind !== 'rnn';
    this.diagramKind = kind;
  }

  applyView(v) {
    this.seq = v.seq;
    this.moved = false;
    this.view = {
      step: Math.min(Math.max(v.step | 0, 0), this.n - 1),
      unit: Math.min(Math.max(v.unit | 0, 0), this.H - 1),
      colour: v.colour in this.qIndex ? v.colour : this.payload.quantities[0].name,
      order: v.order in this.orders ? v.order : 'index',
    };
    this.orderChanged();
    if (this.state === 'live') this.draw();
  }

  async decode(encoded) {
    const id = this.payload.id;
    const jobs = Object.entries(encoded)
      .map(([k, b64]) => [Number(k), b64])
      .filter(([k]) => !this.chunks.has(k))
      .map(async ([k, b64]) => [k, await inflate(b64)]);
    let decoded;
    try {
      decoded = await Promise.all(jobs);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.destroyed || this.state === 'failed' || !this.payload || this.payload.id !== id) return;
    for (const [k, values] of decoded) {
      this.chunks.set(k, this.split(k, values));
      this.requested.delete(k);
    }
    if (this.state !== 'live') {
      this.state = 'live';
      this.root.dataset.state = 'live';
      if (this.draw()) this.report(); // the first report says the stepper runs: the server stops drawing its view
    } else {
      this.draw();
    }
    if (this.playing && this.waiting) {
      this.waiting = false; // Play waited for these values: go on from now
      this.acc = 0;
      this.last = performance.now();
      this.frame = requestAnimationFrame(this.tick);
    }
  }

  // chunk k as one Float32Array per quantity (n x H) and the state entering its first step (H)
  split(k, values) {
    const C = this.payload.chunks.steps;
    const start = k * C;
    const n = Math.min(this.n, start + C) - start;
    const size = n * this.H;
    if (values.length !== this.Q * size + this.payload.chunks.entry.length * this.H) {
      throw new Error(`chunk ${k} has ${values.length} values`);
    }
    const q = [];
    for (let i = 0; i < this.Q; i++) q.push(values.subarray(i * size, (i + 1) * size));
    const entry = {};
    this.payload.chunks.entry.forEach((name, i) => {
      entry[name] = values.subarray(this.Q * size + i * this.H, this.Q * size + (i + 1) * this.H);
    });
    return { start, n, q, entry };
  }

  chunkOf(t) {
    return this.chunks.get(Math.floor(t / this.payload.chunks.steps));
  }

  // all units of quantity i at step t (a view, no copy), or null while its chunk is on its way
  row(i, t) {
    const chunk = this.chunkOf(t);
    if (!chunk) return null;
    const at = (t - chunk.start) * this.H;
    return chunk.q[i].subarray(at, at + this.H);
  }

  value(i, t, u) {
    const row = this.row(i, t);
    return row ? row[u] : NaN;
  }

  // c_{t-1} or h_{t-1} of unit u at step t
  previous(name, of, t, u) {
    const chunk = this.chunkOf(t);
    if (!chunk) return NaN;
    return t === chunk.start ? chunk.entry[name][u] : this.value(this.qIndex[of], t - 1, u);
  }

  // Ask for the chunks around the step that are neither here nor on their way (at once, not debounced);
  // true if it asked (the request carries the view too).
  ensureChunks() {
    const { steps, margin, count } = this.payload.chunks;
    // as stepper_payload.chunks_around: the margins, and all of the token strip's window
    const first = Math.floor(Math.max(0, Math.min(this.view.step - margin[0], this.n - this.payload.window)) / steps);
    const last = Math.floor(Math.min(this.n - 1, this.view.step + margin[1]) / steps);
    const now = performance.now();
    const need = [];
    for (let k = first; k <= Math.min(last, count - 1); k++) {
      const asked = this.requested.get(k);
      if (!this.chunks.has(k) && (asked === undefined || now - asked > REQUEST_RETRY_MS)) need.push(k);
    }
    if (!need.length) return false;
    for (const k of need) this.requested.set(k, now);
    this.need = need;
    this.req += 1;
    this.report();
    return true;
  }

  // --- reports to the server ------------------------------------------------------------------

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.report(), REPORT_DELAY_MS);
  }

  report() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.destroyed || !this.setStateValue || !this.payload || this.state !== 'live') return;
    this.setStateValue('view', {
      id: this.payload.id,
      seq: this.seq,
      ...this.view,
      live: true,
      moved: this.moved,
      need: this.need,
      req: this.req,
    });
  }

  // --- what the reader does ---------------------------------------------------------------------

  key(e) {
    if (this.state !== 'live' || !stepsOn(e, this.root)) return;
    const target = keyTarget(e);
    const activates = target instanceof Element && target.closest(ACTIVATES);
    const to = moveFor(e.key, this.view.step, this.n);
    if (to !== null) this.setStep(to);
    else if (e.key === ' ' && !activates) {
      if (!e.repeat) this.togglePlay();
    } else if (/^[1-9]$/.test(e.key) && !e.repeat) this.setSpeed(this.payload.speeds[Number(e.key) - 1]);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }

  act(what) {
    if (this.state !== 'live') return;
    const to = moveFor(what, this.view.step, this.n);
    if (to !== null) this.setStep(to);
    else if (what === 'play') this.togglePlay();
  }

  setStep(step, playing = false) {
    const s = Math.min(Math.max(Math.round(step) || 0, 0), this.n - 1);
    if (!playing && this.playing) this.stop(false);
    if (s === this.view.step) return;
    this.change({ step: s }, playing);
  }

  setUnit(unit) {
    if (!Number.isFinite(unit)) return;
    this.change({ unit: Math.min(Math.max(Math.round(unit), 0), this.H - 1) });
  }

  setSpeed(speed) {
    if (!this.payload.speeds.includes(speed)) return;
    this.speed = speed;
    this.el.speed.value = String(speed);
  }

  change(values, playing = false) {
    const orderBefore = this.view.order;
    Object.assign(this.view, values);
    this.moved = true;
    if (this.view.order !== orderBefore) this.orderChanged();
    if (!this.draw()) return;
    if (!this.ensureChunks() && !playing) this.schedule();
  }

  togglePlay() {
    if (this.playing) this.stop(true);
    else this.play();
  }

  play() {
    if (this.n < 2) return;
    if (this.view.step >= this.n - 1) this.setStep(0);
    this.playing = true;
    this.waiting = false;
    this.acc = 0;
    this.last = performance.now();
    this.frame = requestAnimationFrame(this.tick);
    this.showPlaying();
  }

  stop(report) {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.frame = null;
    this.showPlaying();
    if (report) this.schedule();
  }

  // one animation frame of Play: as many steps as the time since the last frame is worth at this speed
  tick = (now) => {
    this.frame = null;
    if (!this.playing || this.destroyed) return;
    this.acc += ((now - this.last) * this.speed) / 1000;
    this.last = now;
    const steps = Math.floor(this.acc);
    if (steps > 0) {
      this.acc -= steps;
      const target = Math.min(this.view.step + steps, this.n - 1);
      if (!this.chunkOf(target)) {
        this.waiting = true; // for the values: decode() resumes the frames
        this.ensureChunks();
        return;
      }
      this.change({ step: target }, true);
      if (target >= this.n - 1) {
        this.stop(true);
        return;
      }
    }
    this.frame = requestAnimationFrame(this.tick);
  };

  showPlaying() {
    const button = this.root.querySelector('button[data-act="play"]');
    button.setAttribute('aria-pressed', String(Boolean(this.playing)));
    button.textContent = this.playing ? '❚❚ Pause' : '▶ Play';
    this.root.dataset.playing = String(Boolean(this.playing));
  }

  hover(cell) {
    this.hovered = cell;
    const t = this.view.step;
    const u = Number(cell.dataset.unit);
    const q = this.payload.quantities[Number(cell.parentElement.dataset.q)];
    const v = this.value(this.qIndex[q.name], t, u);
    const text = this.payload.text;
    cell.title = fill(text.unit_title, { unit: u, symbol: q.symbol, value: Number.isNaN(v) ? text.loading : fixed(v, 4) });
  }

  // --- building the parts that do not change with the step ---------------------------------------

  buildControls() {
    const p = this.payload;
    const options = (select, items) =>
      select.replaceChildren(
        ...items.map(([value, label]) => {
          const option = element('option', '', label);
          option.value = value;
          return option;
        }),
      );
    options(this.el.speed, p.speeds.map((s, i) => [String(s), `${s} tokens/s (key ${i + 1})`]));
    this.el.speed.value = String(this.speed);
    options(this.el.colour, p.quantities.map((q) => [q.name, q.title]));
    options(this.el.order, Object.keys(p.orders).map((o) => [o, o]));
    this.el['order-label'].textContent = p.order_label;
    this.el.unit.max = String(this.H - 1);
    this.el.slider.max = String(this.n - 1);
    this.el.slider.disabled = this.n < 2;
    for (const button of this.root.querySelectorAll('button[data-act]')) button.disabled = this.n < 2;
    this.el['output-heading'].textContent = p.text.output_heading;
    this.valueBoxes = p.quantities.map((q) => {
      const box = element('div', 'lvs-value');
      box.dataset.q = q.name;
      box.append(element('div', 'lvs-label', `${q.symbol} · ${q.label}`), element('div', 'lvs-number'));
      return box;
    });
    this.el.values.replaceChildren(...this.valueBoxes);
    this.showPlaying();
  }

  buildStrip() {
    const p = this.payload;
    const nodes = [];
    this.stripCells = [];
    p.quantities.forEach((q, i) => {
      const row = element('div', 'gs-row');
      row.dataset.q = String(i);
      row.style.gridTemplateColumns = `repeat(${this.H},1fr)`;
      const cells = [];
      for (let k = 0; k < this.H; k++) cells.push(element('i'));
      row.append(...cells);
      nodes.push(element('div', 'gs-label', q.title), row);
      this.stripCells.push(cells);
    });
    this.stripAxis = element('div', 'gs-axis');
    nodes.push(this.stripAxis);
    this.el.strip.replaceChildren(...nodes);
    this.stripShades = this.stripCells.map(() => new Int16Array(this.H).fill(-1));
  }

  // the running class probabilities, one column per token (classifiers): drawn once, the outline moves
  buildColumns() {
    const out = this.output;
    this.columnCells = null;
    if (out.kind !== 'classes' || !out.columns) {
      this.el.columns.replaceChildren();
      return;
    }
    const C = out.labels.length;
    const text = this.payload.text;
    const classColour = (c) => this.payload.colours.classes[c % this.payload.colours.classes.length];
    const wrap = element('div', 'lv class-cols');
    wrap.append(element('div', 'lv-title', text.columns_title));
    const legend = element('div');
    out.labels.forEach((label, c) => {
      const key = element('span', 'cp-key');
      const swatch = element('b');
      swatch.style.background = classColour(c);
      key.append(swatch, document.createTextNode(label));
      legend.append(key);
    });
    const plot = element('div', 'cp-plot');
    this.columnCells = [];
    for (let t = 0; t < this.n; t++) {
      const column = element('div', 'cp-col');
      const parts = [];
      for (let c = 0; c < C; c++) {
        const p = out.probs[t * C + c];
        const segment = element('i');
        segment.style.height = `${fixed(p * 100, 2)}%`;
        segment.style.background = classColour(c);
        column.append(segment);
        parts.push(fill(text.column_part, { label: out.labels[c], p: percent(p, 1) }));
      }
      column.title = fill(text.column_hover, { step: t, token: this.payload.quoted[t], parts: parts.join(text.column_join) });
      plot.append(column);
      this.columnCells.push(column);
    }
    wrap.append(legend, plot, element('div', 'lv-note', text.columns_note));
    this.el.columns.replaceChildren(wrap);
  }

  orderChanged() {
    const order = this.orders[this.view.order];
    this.stripCells.forEach((cells, i) => {
      cells.forEach((cell, k) => {
        cell.dataset.unit = String(order[k]);
      });
      this.stripShades[i].fill(-1);
    });
  }

  // --- drawing one step -------------------------------------------------------------------------

  // render(), and if it fails, the server draws the view instead; false then
  draw() {
    try {
      this.render();
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  render() {
    if (!this.payload || this.state !== 'live') return;
    const p = this.payload;
    const { step, unit } = this.view;
    this.root.dataset.step = String(step);
    this.root.dataset.unit = String(unit);
    this.root.dataset.colour = this.view.colour;
    this.root.dataset.order = this.view.order;
    this.el.slider.value = String(step);
    if (document.activeElement !== this.el.unit) this.el.unit.value = String(unit);
    this.el.colour.value = this.view.colour;
    this.el.order.value = this.view.order;
    this.renderCaption();
    this.renderTokens();
    const values = this.renderValues();
    this.renderCell(values);
    this.renderOutput();
    this.renderStrip();
    const loaded = Boolean(this.chunkOf(step));
    this.root.dataset.loaded = String(loaded);
    this.el['units-heading'].textContent = fill(p.text.units_heading, { units: this.H, layer: p.layer, step });
    if (this.hovered && this.hovered.isConnected) this.hover(this.hovered);
  }

  renderCaption() {
    const { step } = this.view;
    this.el.caption.replaceChildren(...stepCaption(step, this.n, this.payload.tokens[step], this.unknown.get(step)));
  }

  renderTokens() {
    const p = this.payload;
    const { step, unit, colour } = this.view;
    const [lo, hi] = windowOf(this.n, step, p.window);
    const q = p.quantities[this.qIndex[colour]];
    const [rlo, rhi] = q.range || [-this.stripRange[q.name][unit], this.stripRange[q.name][unit]];
    const palette = p.colours.palettes[q.scale];
    const nodes = [];
    const words = p.text;
    if (lo > 0) nodes.push(element('span', 'tok-more', fill(words.earlier, { count: lo })));
    for (let t = lo; t < hi; t++) {
      const token = element('span', 'tok', p.tokens[t]);
      token.dataset.step = String(t);
      let title = fill(words.token_title, { step: t, token: p.reprs[t] });
      const v = this.value(this.qIndex[colour], t, unit);
      if (!Number.isNaN(v)) {
        const [background, text] = palette[shadeOf(v, rlo, rhi, p.colours.shades)];
        token.style.background = background;
        token.style.color = text;
        title += fill(words.token_value, { value: fixed(v, 4) });
      }
      if (t === step) token.classList.add('cur');
      if (this.unknown.has(t)) {
        token.classList.add('unk');
        title += words.token_unknown;
      }
      token.title = title;
      nodes.push(token);
      if (this.breaks.has(t)) nodes.push(element('br'));
    }
    if (hi < this.n) nodes.push(element('span', 'tok-more', fill(words.later, { count: this.n - hi })));
    this.el.tokens.replaceChildren(...nodes);
    this.el['strip-caption'].textContent = fill(p.text.strip_caption, { unit, label: q.label });
  }

  renderValues() {
    const { step, unit } = this.view;
    const values = {};
    this.payload.quantities.forEach((q, i) => {
      const v = this.value(i, step, unit);
      values[q.name] = v;
      this.valueBoxes[i].lastChild.textContent = Number.isNaN(v) ? '…' : fixed(v, 4);
    });
    return values;
  }

  // the cell diagram of the layer's kind (assets/lstm_cell.svg, gru_cell.svg, rnn_cell.svg: <text id="val-NAME">
  // slots, <rect id="box-X"> boxes) and its reading in words, as equations.step_update and equations.plain_words
  renderCell(values) {
    const p = this.payload;
    const { step, unit } = this.view;
    const text = p.text;
    this.el['cell-heading'].textContent = fill(text.cell_heading, { unit, step });
    const kind = p.diagram.kind;
    const h = values.hidden;
    const hPrev = this.previous('h_prev', 'hidden', step, unit);
    let slots;
    let words;
    if (kind === 'lstm') {
      const { forget_gate: f, input_gate: i, candidate: g, output_gate: o, cell: c } = values;
      const cPrev = this.previous('c_prev', 'cell', step, unit);
      const kept = f * cPrev;
      const written = i * g;
      const tanhCell = Math.tanh(c);
      slots = { c_prev: cPrev, kept, written, tanh_c: tanhCell };
      const sign = g >= 0 ? 'positive' : 'negative';
      words = [
        `Forget gate ${fixed(f, 2)}: the unit keeps ${percent(f, 0)} of what it held (${signed(cPrev, 3)} → ${signed(kept, 3)}).`,
        `Input gate ${fixed(i, 2)} with candidate ${signed(g, 2)}: it writes ${percent(i, 0)} of a ${sign} candidate, ` +
          `adding ${signed(written, 3)}.`,
        `Cell state: ${signed(kept, 3)} + ${signed(written, 3)} = ${signed(c, 3)}` + changed(cPrev, c),
        `Output gate ${fixed(o, 2)}: it shows ${percent(o, 0)} of tanh(c) = ${signed(tanhCell, 3)}, ` +
          `so the hidden state is ${signed(h, 3)}.`,
      ];
      if ([f, i, g, o, c, cPrev].some(Number.isNaN)) words = [];
    } else if (kind === 'gru') {
      const { reset_gate: r, update_gate: z, new_gate: n } = values;
      const kept = z * hPrev;
      const written = (1 - z) * n;
      slots = { kept, one_minus_z: 1 - z, written };
      words = [
        `Reset gate ${fixed(r, 2)}: the candidate sees ${percent(r, 0)} of what the old state proposes.`,
        `Update gate ${fixed(z, 2)}: the unit keeps ${percent(z, 0)} of its old state ` +
          `(${signed(hPrev, 3)} → ${signed(kept, 3)}).`,
        `Candidate n ${signed(n, 2)}: the unit takes ${percent(1 - z, 0)} of it, adding ${signed(written, 3)}.`,
        `Hidden state: ${signed(kept, 3)} + ${signed(written, 3)} = ${signed(h, 3)}` + changed(hPrev, h),
      ];
      if ([r, z, n].some(Number.isNaN)) words = [];
    } else {
      const pre = values.preactivation;
      slots = {};
      this.el.rnn.textContent = Number.isNaN(pre) ? '' : fill(text.rnn_line, { pre: fixed(pre, 4), h: fixed(h, 4) });
      words = [
        `Pre-activation ${signed(pre, 3)}: the input and the previous hidden state (${signed(hPrev, 3)}) ` +
          'weighed and summed with the biases.',
        `tanh squashes it into −1..1: the hidden state is ${signed(h, 3)}` + changed(hPrev, h),
      ];
      if (Number.isNaN(pre)) words = [];
    }
    slots.h_prev = hPrev;
    for (const q of p.quantities) slots[q.symbol] = values[q.name];
    const svg = this.el.diagram;
    for (const name of p.diagram.slots) {
      const slot = svg.querySelector(`#val-${name}`);
      if (!slot || name === 'token') continue;
      const v = slots[name];
      slot.textContent = v === undefined || Number.isNaN(v) ? '…' : signed(v, 3);
    }
    svg.querySelector('#val-token').textContent = p.reprs[step];
    for (const q of p.quantities) {
      const box = svg.querySelector(`#box-${q.symbol}`);
      const v = values[q.name];
      if (!box || !q.range || Number.isNaN(v)) continue;
      const [background, ink] = p.colours.palettes[q.scale][shadeOf(v, q.range[0], q.range[1], p.colours.shades)];
      box.setAttribute('fill', background);
      for (const part of ['lab', 'val']) svg.querySelector(`#${part}-${q.symbol}`).setAttribute('fill', ink);
    }
    if (Number.isNaN(h) || Number.isNaN(hPrev)) words = [];
    this.el.words.replaceChildren(...words.map((w) => element('li', '', w)));
  }

  renderOutput() {
    const out = this.output;
    const { step } = this.view;
    const p = this.payload;
    const rows = [];
    let title;
    let notes;
    let labelCol = 'max-content';
    let caption = '';
    if (out.kind === 'next') {
      const k = out.k;
      const actual = out.actual[step];
      const best = out.topProbs[step * k];
      const scale = Math.max(best, 1e-9) * out.scale;
      for (let j = 0; j < k; j++) {
        const at = out.top[step * k + j];
        const prob = out.topProbs[step * k + j];
        rows.push({
          label: out.labels[at],
          prob,
          width: prob / scale,
          colour: at === actual ? p.colours.highlight : p.colours.neutral,
          hover: fill(p.text.next_hover, { token: out.quoted[at], p: fixed(prob, 4) }),
        });
      }
      title = out.title;
      labelCol = out.label_col;
      notes = [];
      if (step + 1 < this.n) {
        const token = p.quoted[step + 1];
        const rank = out.rank[step];
        const prob = percent(out.actual_p[step], 1);
        notes.push(rank ? fill(out.notes.actual, { token, rank, p: prob }) : fill(out.notes.unknown, { token }));
      } else {
        caption = p.text.last_token;
      }
      notes.push(out.notes.length);
    } else {
      const C = out.labels.length;
      const probs = out.probs.subarray(step * C, (step + 1) * C);
      let best = 0;
      for (let c = 1; c < C; c++) if (probs[c] > probs[best]) best = c;
      out.labels.forEach((label, c) => {
        rows.push({
          label: c === best ? fill(p.text.class_best, { label }) : label,
          prob: probs[c],
          width: probs[c],
          colour: p.colours.classes[c % p.colours.classes.length],
          hover: fill(p.text.class_hover, { label, p: fixed(probs[c], 4) }),
        });
      });
      title = fill(out.title, { step, token: p.quoted[step] });
      notes = out.notes;
    }
    const wrap = element('div', 'lv next-bars');
    wrap.append(element('div', 'lv-title', title));
    for (const note of notes.slice(0, -1)) wrap.append(element('div', 'lv-note', note));
    const grid = element('div', 'nb-grid');
    grid.style.setProperty('--label-col', labelCol);
    for (const row of rows) {
      const track = element('div', 'nb-track');
      track.title = row.hover;
      const bar = element('div');
      bar.style.width = `${fixed(row.width * 100, 2)}%`;
      bar.style.background = row.colour;
      track.append(bar);
      grid.append(element('div', 'nb-tok', row.label), track, element('div', 'nb-p', percent(row.prob, 1)));
    }
    wrap.append(grid, element('div', 'lv-note', notes[notes.length - 1]));
    if (caption) wrap.append(element('div', 'lvs-note', caption));
    this.el.output.replaceChildren(wrap);
    if (this.columnCells) {
      if (this.currentColumn !== undefined) this.columnCells[this.currentColumn].classList.remove('cur');
      this.columnCells[step].classList.add('cur');
      this.currentColumn = step;
    }
  }

  renderStrip() {
    const p = this.payload;
    const { step, unit } = this.view;
    const shades = p.colours.shades;
    p.quantities.forEach((q, i) => {
      const row = this.row(i, step);
      const cells = this.stripCells[i];
      const known = this.stripShades[i];
      const order = this.orders[this.view.order];
      const palette = p.colours.palettes[q.scale];
      const [lo, hi] = q.range || [-this.rowRange[q.name][step], this.rowRange[q.name][step]];
      for (let k = 0; k < cells.length; k++) {
        const u = order[k];
        const s = row ? shadeOf(row[u], lo, hi, shades) : -1;
        if (s !== known[k]) {
          known[k] = s;
          cells[k].style.background = s < 0 ? '' : palette[s][0];
        }
        const on = u === unit;
        if (cells[k].classList.contains('on') !== on) cells[k].classList.toggle('on', on);
      }
    });
    const axis = this.view.order === 'index' ? p.text.axis_index : p.text.axis_order;
    this.stripAxis.textContent = axis + p.text.axis_chosen;
  }
}
