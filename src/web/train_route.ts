// The training page's routes under `cyclegan serve`: /train (redirected to /train/, keeping the query, so the
// page's relative URLs are the same as in the static build's train/index.html), its HTML, CSS, page script and
// worker script. The bundle is built on the first request (serving a model or a run does not wait for it).
import { TRAIN_CSS, TRAIN_HTML } from './train/assets.js';
import { bundleTrainPage, lazyBundle, type TrainBundle } from './bundle.js';

export interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const NO_CACHE = { 'Cache-Control': 'no-cache' };

export function trainRoutes(prebuilt?: TrainBundle, log: (line: string) => void = () => {}): (pathname: string, query: URLSearchParams) => Promise<Reply | null> {
  const getBundle = lazyBundle(prebuilt, () => bundleTrainPage(), (b) => {
    log(`training page bundled (${((b.page.js.length + b.worker.js.length) / 1e6).toFixed(1)} MB, ${b.page.buildMs + b.worker.buildMs} ms)`);
  });
  return async (pathname, query) => {
    const search = query.toString();
    switch (pathname) {
      case '/train':
        return { status: 302, type: 'text/plain; charset=utf-8', body: 'see /train/\n', headers: { Location: `/train/${search ? `?${search}` : ''}` } };
      case '/train/':
      case '/train/index.html':
        return { status: 200, type: 'text/html; charset=utf-8', body: TRAIN_HTML, headers: NO_CACHE };
      case '/train/train.css':
        return { status: 200, type: 'text/css; charset=utf-8', body: TRAIN_CSS, headers: NO_CACHE };
      case '/train/train.js':
        return { status: 200, type: 'text/javascript; charset=utf-8', body: (await getBundle()).page.js, headers: NO_CACHE };
      case '/train/worker.js':
        return { status: 200, type: 'text/javascript; charset=utf-8', body: (await getBundle()).worker.js, headers: NO_CACHE };
    }
    return null;
  };
}
