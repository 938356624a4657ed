// lstm-viz: what the app's components share in the browser (Step Through's stepper, the Equations page's
// numbers, Gate Heatmaps' canvas, the Neuron Lab's ranking at a step): one instance per host element, bytes
// and elements, which keys are theirs.
// One module that their scripts import (lstm_viz/ui/stepper.py puts it in place of the import).

// Streamlit calls a component's function again on new data: keep one instance per host element (made by
// `make(host)`), hand it the call, and return the cleanup Streamlit runs when the component unmounts (it keeps
// the latest call's).
export function mountOn(component, instances, make) {
  const host = component.parentElement;
  let inst = instances.get(host);
  if (!inst || inst.destroyed) {
    inst = make(host);
    instances.set(host, inst);
  }
  inst.connect(component);
  const call = inst.calls;
  return () => {
    if (inst.calls === call) inst.destroy();
  };
}

// What every component's instance has: its root (the first `selector` in the host), its parts by data-role,
// listeners that go when it is destroyed, and a connect() that hands the data to receive() and calls fail()
// with whatever went wrong (check() may refuse a browser first).
export class Component {
  constructor(host, selector) {
    this.root = host.querySelector(selector);
    this.el = {};
    for (const node of this.root.querySelectorAll('[data-role]')) this.el[node.dataset.role] = node;
    this.calls = 0;
    this.destroyed = false;
    this.listen = new AbortController();
  }

  on(target, type, handler, options = {}) {
    target.addEventListener(type, handler, { ...options, signal: this.listen.signal });
  }

  connect(component) {
    this.calls += 1;
    this.setStateValue = component.setStateValue;
    try {
      this.check();
      this.receive(component.data);
    } catch (err) {
      this.fail(err);
    }
  }

  check() {}

  destroy() {
    this.destroyed = true;
    this.listen.abort();
  }
}

// The data's floats are little-endian: refuse a browser that is not (its Float32Array would read them wrong).
export function littleEndian() {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('this browser is big-endian');
}

export function bytesOf(b64) {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// little-endian float32s sent as base64
export const floats = (b64) => new Float32Array(bytesOf(b64).buffer);

// a token as a chart's axis label: its first 12 characters
export const axisLabel = (token) => (token.length > 12 ? token.slice(0, 12) : token);

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A line of the server's markdown as elements: **bold** and `code`, the rest as text (never as markup).
export function inline(md) {
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

// The step's caption (controls.step_caption's words): "step S of N (0-based): token T", and the piece the model
// reads instead where it does not know the token (`replacement`; undefined where it does).
export function stepCaption(step, n, token, replacement) {
  const nodes = [
    document.createTextNode('step '),
    element('b', '', String(step)),
    document.createTextNode(` of ${n} (0-based): token `),
    element('code', '', token),
  ];
  if (replacement !== undefined) {
    nodes.push(
      document.createTextNode(' — unknown to the model, which reads '),
      element('code', '', replacement),
      document.createTextNode(' instead'),
    );
  }
  return nodes;
}

// Keys typed into these are theirs; a stepper's own slider is not among them (its keys are the stepper's).
export const EDITABLE =
  'input:not([type="range"]), textarea, select, [contenteditable=""], [contenteditable="true"], [role="textbox"]';
// Space on these presses them, so it does not play or pause.
export const ACTIVATES = 'button, a, summary, [role="button"], [role="link"], [role="tab"], [role="switch"]';

// The element a key press is for (inside a shadow root too).
export const keyTarget = (e) => (e.composedPath ? e.composedPath()[0] : e.target);

// Whether the stepper whose root is `root` may take this key press: no modifier, not typed into a field,
// not another slider's (a range input or slider role outside the stepper).
export function stepsOn(e, root) {
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  const target = keyTarget(e);
  if (!(target instanceof Element)) return true;
  if (target.closest(EDITABLE)) return false;
  if (target.closest('[role="tab"]')) return false; // arrows move between the page's tabs
  return !(target.closest('input[type="range"], [role="slider"]') && !root.contains(target));
}

// The step keys and step buttons (data-act) of a stepper: what each moves to from `step` of `n` (null: not a move).
const STEP_KEYS = { ArrowRight: 'next', ArrowLeft: 'prev', Home: 'first', End: 'last' };
export function moveFor(what, step, n) {
  const act = STEP_KEYS[what] || what;
  if (act === 'first') return 0;
  if (act === 'prev') return step - 1;
  if (act === 'next') return step + 1;
  if (act === 'last') return n - 1;
  return null;
}
