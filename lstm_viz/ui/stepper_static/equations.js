// lstm-viz: the Equations page's numbers, stepped in the browser (a Streamlit st.components.v2 component).
//
// The server sends the frames of the shown unit, chunk by chunk (lstm_viz/ui/equation_stepper.py
// writes them; frames.js steps through them): for each step the filled-in equations as LaTeX, the
// largest terms, the state update and the plain words. Here a step is typeset with KaTeX (loaded into
// the page by lstm_viz/ui/katex.py, no network) the moment the reader moves to it.
//
// Safety: the LaTeX is the server's own (numbers and symbols); every other string reaches the page
// through textContent (the captions' **bold** and `code` become elements), never as markup.

import { element, inline, mountOn } from './component.js';
import { FrameStepper } from './frames.js';

const KATEX_WAIT_MS = 15000; // KaTeX's script is a component of its own on the page: wait this long for it
const MAX_TYPESET = 300; // typeset equations kept, the least recently shown dropped first (a step's come back)

const instances = new WeakMap(); // host element -> Equations (the function below runs again on new data)

export default function equations(component) {
  return mountOn(component, instances, (host) => new Equations(host));
}

const FAILED = (reason) =>
  `The interactive equations could not start (${reason}), so the view below is drawn by the server, ` +
  'one round trip per step.';

class Equations extends FrameStepper {
  constructor(host) {
    super(host, '.lv-eqs', FAILED);
    this.typeset = new Map(); // LaTeX -> KaTeX's markup
  }

  // KaTeX arrives with a component of its own (katex.py); wait for it, then typeset
  ready(then) {
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

  show(f) {
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
}
