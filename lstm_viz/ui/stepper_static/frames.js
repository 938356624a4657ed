// lstm-viz: a view stepped in the browser from frames the server sends by chunk (lstm_viz/ui/frame_stepper.py
// writes them and describes the protocol). What the Equations page's numbers (equations.js) and the Neuron
// Lab's ranking at a step (moment.js) share: the step buttons, keys and slider, the chunks asked for, the
// step reported REPORT_DELAY_MS after the last move. A subclass draws a frame (show) and may wait before its
// first draw (ready).

import { Component, moveFor, stepsOn } from './component.js';

const REPORT_DELAY_MS = 300; // the step goes to the server this long after the last move
const REQUEST_RETRY_MS = 5000; // a chunk asked for and not received by then is asked for again

export class FrameStepper extends Component {
  // failText: what the notice says if the view cannot start (the reason goes in its parentheses)
  constructor(host, selector, failText) {
    super(host, selector);
    this.failText = failText;
    this.state = 'loading';
    this.id = null;
    this.picks = 0;
    this.pick = null;
    this.needsExtra = false; // a subclass that draws from what goes once with a view (data.extra) sets it
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
    this.el.notice.textContent = this.failText(reason);
    if (this.setStateValue) this.setStateValue('view', { id: this.id, live: false, failed: reason });
  }

  // --- data from the server -----------------------------------------------------------------------

  receive(data) {
    if (!data || !data.id) return;
    if (data.id !== this.id) {
      if (this.needsExtra && data.extra === undefined) { // what goes once with a view never reached this copy
        if (this.setStateValue) this.setStateValue('view', { id: data.id, resend: true });
        return;
      }
      this.id = data.id;
      this.pick = null; // a pick made in the view before is not one to send with this one
      this.n = data.n;
      this.chunk = data.chunk;
      this.frames = new Map(); // step -> frame
      this.requested = new Map(); // chunk -> time asked
      this.need = [];
      this.req = this.req || 0;
      this.seq = null;
      this.el.slider.max = String(this.n - 1);
      for (const button of this.root.querySelectorAll('button[data-act]')) button.disabled = this.n < 2;
      this.newView(data.extra);
    }
    for (const [k, list] of Object.entries(data.frames || {})) {
      list.forEach((f, i) => this.frames.set(Number(k) * this.chunk + i, f));
      this.requested.delete(Number(k));
    }
    if (data.seq !== this.seq) {
      this.seq = data.seq;
      this.step = Math.min(Math.max(data.step, 0), this.n - 1);
      this.moved = false;
      this.pick = null;
    }
    if (data.unit !== undefined) this.unit = data.unit; // the session's unit (a view that offers units to pick)
    this.ready(() => {
      const first = this.state !== 'live';
      this.state = 'live';
      if (!this.draw()) return; // it failed, and said so
      this.root.dataset.state = 'live'; // only now does the CSS hide the server's view
      if (first) this.report(); // the first report says the view runs: the server stops drawing its own
    });
  }

  newView() {} // what came with a new view besides the frames (data.extra)

  ready(then) {
    then();
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
      this.waiting();
      return;
    }
    this.show(f);
  }

  waiting() {} // a step whose frame is not here yet (the caption says so)

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
      pick: this.pick,
      picks: this.picks,
    });
  }

  // a unit the reader picked (the server makes it the unit of every page), reported at once
  choose(unit) {
    this.pick = unit;
    this.unit = unit;
    this.picks += 1;
    this.report();
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
