// lstm-viz: which key presses belong to a browser-side stepper (Step Through's, the Equations page's).
// One module that the components' scripts import (lstm_viz/ui/stepper.py puts it in place of the import).

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
  return !(target.closest('input[type="range"], [role="slider"]') && !root.contains(target));
}
