// Drawing an image held in memory (8-bit RGB or gray, core/data/pixels.ts's RawImage) on a canvas: shared by
// the translation page and the training page, browser only.
import type { RawImage } from '../../core/data/pixels.js';

/** A canvas showing `img` at its own size (gray images drawn as gray RGB); `testid` sets `data-testid`. */
export function rawToCanvas(img: RawImage, testid?: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = img.width;
  c.height = img.height;
  const out = new ImageData(img.width, img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let k = 0; k < 3; k++) out.data[i * 4 + k] = img.data[i * img.channels + (img.channels === 1 ? 0 : k)];
    out.data[i * 4 + 3] = 255;
  }
  c.getContext('2d')!.putImageData(out, 0, 0);
  if (testid) c.dataset.testid = testid;
  return c;
}
