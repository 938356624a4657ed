// lstm-viz: the Equations page's numbers, stepped in the browser (a Streamlit st.components.v2 component).
//
// The server sends the frames of the shown unit, chunk by chunk (lstm_viz/ui/equation_stepper.py
// writes them, and describes the protocol): for each step the filled-in equations as LaTeX, the
// largest terms, the state update and the plain words. Here a step is typeset with KaTeX (loaded into
// the page by lstm_viz/ui/katex.py, no network) the moment the reader moves to it; the step goes back
// to the server REPORT_DELAY_MS after the last move, and chunks not yet here are asked for at once.
//
// Safety: the LaTeX is the server's own (numbers and symbols); every other string reaches the page
// through textContent (the captions' **bold** and `code` become elements), never as markup.

import { Component, element, mountOn, moveFor, stepsOn } from './component.js';

const REPORT_DELAY_MS = 300; // the step goes to the server this long after the last move
const REQUEST_RETRY_MS = 5000; // a chunk asked for and not received by then is asked for again
const KATEX_WAIT_MS = 15000; // KaTeX's script is a component of its own on the page: wait this long for it
const MAX_TYPESET = 300; // typeset equations kept, the least recently shown dropped first (a step's come back)

const instances = new WeakMap(); // host element -> Equations (the function below runs again on new data)

export default function equations(component) {
  return mountOn(component, instances, (host) => new Equations(host));
}

// A line of the server's markdown as elements: **bold** and `code`, the rest as text.
function inline(md) {
  const out = document.createDocumentFragment();
  const pattern = /\*\*(.+?)\*\*|`([^`]*)`/g;
  let at = 0;
  for (let m = pattern.exec(md); m; m = pattern.exec(md)) {
    if (m.index > at) out.append(md.slice(at, m.index));
    out.append(m[1] !== undefined ? element('b', '', m[1]) : element('code', '', m[2]));
    at = pattern.lastIndex;
  }
  if (at < md.length) out.append(md.slice(at));
  return out;
}

class Equations extends Component {
  constructor(host) {
    super(host, '.lv-eqs');
    this.state = 'loading';
    this.id = null;
    this.typeset = new Map(); // LaTeX -> KaTeX's markup
    const on = this.on.bind(this);
    on(window, 'keydown', (e) => this.key(e), { capture: true });
    for (const button of this.root.querySelectorAll('button[data-act]')) {
      on(button, 'mousedown', (e) => e.preventDefault()); // a click leaves the focus where it was
      on(button, 'click', () => this.act(button.dataset.act));
    }
    on(this.el.slider, 'input', () => this.setStep(Number(this.el.slider.value)));
  }

  destroy() {
    super.destroy();
    clearTimeout(this.timer);
    clearTimeout(this.retry);
  }

  fail(err) {
    if (this.destroyed) return;
    this.state = 'failed';
    this.root.dataset.state = 'failed';
    const reason = err && err.message ? err.message : String(err);
    this.el.notice.textContent =
      `The interactive equations could not start (${reason}), so the view below is drawn by the server, ` +
      'one round trip per step.';
    if (this.setStateValue) this.setStateValue('view', { id: this.id, live: false, failed: reason });
  }

  // --- data from the server -----------------------------------------------------------------------

  receive(data) {
    if (!data || !data.id) return;
    if (data.id !== this.id) {
      this.id = data.id;
      this.n = data.n;
      this.chunk = data.chunk;
      this.frames = new Map(); // step -> frame
      this.requested = new Map(); // chunk -> time asked
      this.need = [];
      this.req = this.req || 0;
      this.seq = null;
      this.el.slider.max = String(this.n - 1);
      for (const button of this.root.querySelectorAll('button[data-act]')) button.disabled = this.n < 2;
    }
    for (const [k, list] of Object.entries(data.frames || {})) {
      list.forEach((f, i) => this.frames.set(Number(k) * this.chunk + i, f));
      this.requested.delete(Number(k));
    }
    if (data.seq !== this.seq) {
      this.seq = data.seq;
      this.step = Math.min(Math.max(data.step, 0), this.n - 1);
      this.moved = false;
    }
    this.whenTypesetting(() => {
      const first = this.state !== 'live';
      this.state = 'live';
      if (!this.draw()) return; // it failed, and said so
      this.root.dataset.state = 'live'; // only now does the CSS hide the server's view
      if (first) this.report(); // the first report says the view runs: the server stops drawing its own
    });
  }

  // KaTeX arrives with a component of its own (katex.py); wait for it, then typeset
  whenTypesetting(then) {
    if (globalThis.katex) return then();
    const since = performance.now();
    const wait = () => {
      if (this.destroyed) return;
      if (globalThis.katex) {
        try {
          then();
        } catch (err) {
          this.fail(err);
        }
      } else if (performance.now() - since > KATEX_WAIT_MS) this.fail(new Error('KaTeX did not load'));
      else setTimeout(wait, 20);
    };
    setTimeout(wait, 20);
  }

  tex(latex) {
    let markup = this.typeset.get(latex);
    if (markup === undefined) {
      markup = globalThis.katex.renderToString(latex, { displayMode: true, throwOnError: false });
      if (this.typeset.size >= MAX_TYPESET) this.typeset.delete(this.typeset.keys().next().value);
    } else {
      this.typeset.delete(latex); // to the end: the least recently shown go first
    }
    this.typeset.set(latex, markup);
    return markup;
  }

  // --- drawing --------------------------------------------------------------------------------------

  // the step on screen; false (and the failure reported) if it could not be drawn
  draw() {
    if (this.state !== 'live') return false;
    try {
      this.paint();
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  paint() {
    const step = this.step;
    const f = this.frames.get(step);
    this.el.slider.value = String(step);
    this.root.dataset.step = String(step);
    this.root.dataset.loaded = f ? 'true' : 'false';
    this.ask();
    if (!f) {
      this.el.caption.textContent = `step ${step} of ${this.n}: its numbers are on their way from the server…`;
      return;
    }
    this.el.caption.replaceChildren(inline(f.caption));
    this.el.heading.textContent = f.heading;
    this.drawBlocks(f.blocks);
    this.el.update.hidden = f.update === null;
    if (f.update !== null) this.el.update.innerHTML = this.tex(f.update); // KaTeX's markup of the server's LaTeX
    this.el.words.replaceChildren(...f.words.map((w) => {
      const li = element('li');
      li.append(inline(w));
      return li;
    }));
  }

  // one equation and one folded list of terms per block; the folds stay open or shut from step to step
  drawBlocks(blocks) {
    const box = this.el.blocks;
    if (box.children.length !== blocks.length * 2) {
      box.replaceChildren();
      for (let b = 0; b < blocks.length; b++) {
        const details = element('details');
        details.append(element('summary'), element('ul'));
        box.append(element('div', 'lve-math'), details);
      }
    }
    blocks.forEach((block, b) => {
      box.children[2 * b].innerHTML = this.tex(block.latex); // KaTeX's markup of the server's LaTeX
      const details = box.children[2 * b + 1];
      details.firstChild.textContent = block.title;
      details.lastChild.replaceChildren(...block.lines.map((line) => {
        const li = element('li');
        li.append(inline(line));
        return li;
      }));
    });
  }

  // the chunk of this step and those beside it: ask at once for any that is neither here nor on its way
  ask() {
    const k = Math.floor(this.step / this.chunk);
    const last = Math.floor((this.n - 1) / this.chunk);
    const now = performance.now();
    const need = [k, k - 1, k + 1].filter((j) => {
      if (j < 0 || j > last || this.frames.has(j * this.chunk)) return false;
      const asked = this.requested.get(j);
      return asked === undefined || now - asked > REQUEST_RETRY_MS;
    });
    if (!need.length) return;
    for (const j of need) this.requested.set(j, now);
    this.need = need;
    this.req += 1;
    this.report();
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.draw(), REQUEST_RETRY_MS + 50);
  }

  // --- the server -----------------------------------------------------------------------------------

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.report(), REPORT_DELAY_MS);
  }

  report() {
    clearTimeout(this.timer);
    if (this.destroyed || !this.setStateValue || this.state !== 'live') return;
    this.setStateValue('view', {
      id: this.id,
      seq: this.seq,
      step: this.step,
      live: true,
      moved: this.moved,
      need: this.need,
      req: this.req,
    });
  }

  // --- what the reader does -------------------------------------------------------------------------

  key(e) {
    if (this.state !== 'live' || !stepsOn(e, this.root)) return;
    const to = moveFor(e.key, this.step, this.n);
    if (to === null) return;
    this.setStep(to);
    e.preventDefault();
    e.stopPropagation();
  }

  act(what) {
    const to = moveFor(what, this.step, this.n);
    if (to !== null) this.setStep(to);
  }

  setStep(step) {
    if (this.state !== 'live') return;
    const s = Math.min(Math.max(Math.round(step) || 0, 0), this.n - 1);
    if (s === this.step) return;
    this.step = s;
    this.moved = true;
    this.draw();
    this.schedule();
  }
}
