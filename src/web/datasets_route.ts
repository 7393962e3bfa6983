// The built-in datasets served next to the training page (`cyclegan serve`): the ones already built in the
// cache (`cyclegan datasets get NAME`; nothing is downloaded or built by a request), as a list with their
// training images (/datasets/index.json) and those image files (/datasets/NAME/A/FILE, /datasets/NAME/B/FILE).
// Safety as in server.ts: a file is served only when its name is in the dataset's listing (never joined onto a
// folder from the URL). The static build serves no /datasets/ (the page says so).
import * as path from 'node:path';
import { datasetNames } from '../data/builtin/registry.js';
import { cachedDataset, defaultCacheDir } from '../data/builtin.js';
import { listImageFiles } from '../data/image_files.js';
import type { DatasetsIndex, ServedDataset } from './train/protocol.js';

interface Listing { builtAt: string; served: ServedDataset; byUrl: Map<string, string> }

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bmp': 'image/bmp', '.webp': 'image/webp' };

export function datasetRoutes(cacheDir = defaultCacheDir()): {
  index(): Promise<DatasetsIndex>;
  /** the file behind a /datasets/NAME/A|B/… path, or null */
  file(pathname: string): Promise<{ file: string; type: string } | null>;
} {
  const listings = new Map<string, Listing>();
  // listed once per build of a dataset (its dataset.json's builtAt), not per request
  const listing = async (name: string): Promise<Listing | null> => {
    const built = await cachedDataset(name, cacheDir);
    if (!built) return null;
    const { dir, info } = built;
    const have = listings.get(name);
    if (have && have.builtAt === info.builtAt) return have;
    const byUrl = new Map<string, string>();
    const files = { A: [] as string[], B: [] as string[] };
    for (const dom of ['A', 'B'] as const) {
      const folder = path.join(dir, `train${dom}`);
      const list = await listImageFiles(folder).catch(() => ({ files: [] as string[] }));
      for (const f of list.files) {
        const rel = path.relative(folder, f).split(path.sep).join('/');
        files[dom].push(rel);
        byUrl.set(`/datasets/${name}/${dom}/${rel}`, f);
      }
    }
    if (files.A.length === 0 || files.B.length === 0) return null;
    const l: Listing = { builtAt: info.builtAt, byUrl, served: { name, description: info.description, recommended: info.recommended, files } };
    listings.set(name, l);
    return l;
  };
  return {
    async index() {
      const datasets: ServedDataset[] = [];
      for (const name of datasetNames()) {
        const l = await listing(name);
        if (l) datasets.push(l.served);
      }
      const hint = datasets.length ? '' : `no built-in dataset is built on this server yet (cyclegan datasets get ${datasetNames().join('|')}, then reload)`;
      return { datasets, hint };
    },
    // (acceptRequest, http.ts, has already refused any path with an escape: it arrives as the file's own name)
    async file(pathname) {
      const m = /^\/datasets\/([^/]+)\/[AB]\//.exec(pathname);
      if (!m || !datasetNames().includes(m[1])) return null; // (not `in`: that would take Object.prototype's names)
      const l = await listing(m[1]);
      const f = l?.byUrl.get(pathname);
      return f ? { file: f, type: TYPES[path.extname(f).toLowerCase()] ?? 'application/octet-stream' } : null;
    },
  };
}
