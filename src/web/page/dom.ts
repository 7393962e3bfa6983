// The pages' DOM helpers (translate page main.ts, training page train/page.ts).

/** The page's element for a selector (the pages' own markup: it is there). */
export const $ = <E extends HTMLElement>(sel: string): E => document.querySelector(sel) as E;

/** A message line (error, warning): shows `text`, or hides the element when there is none. */
export function showText(sel: string, text: string | null): void {
  const el = $(sel);
  el.textContent = text ?? '';
  el.hidden = !text;
}
