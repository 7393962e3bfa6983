// The pages' DOM helpers (translate page main.ts, training page train/page.ts).

/** The page's element for a selector (the pages' own markup: it is there). */
export const $ = <E extends HTMLElement>(sel: string): E => document.querySelector(sel) as E;

/** A message line (error, warning): shows `text`, or hides the element when there is none. */
export function showText(sel: string, text: string | null): void {
  const el = $(sel);
  el.textContent = text ?? '';
  el.hidden = !text;
}

/** A drop zone: highlighted (class `over`) while something is dragged over it; what is dropped goes to `take`. */
export function onDrop(zone: HTMLElement, take: (dt: DataTransfer | null) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    take(e.dataTransfer);
  });
}
