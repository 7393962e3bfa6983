// The training page's HTML and its own CSS (kept in TypeScript so `tsc` ships them in dist/). Every URL in it
// is relative, so the same files work under `cyclegan serve` (/train/) and from any static host (train/index.html).

/** One domain's pickers (files, a folder, a drop zone); page.ts finds them by these ids. */
const domainBox = (dom: 'A' | 'B'): string => {
  const d = dom.toLowerCase();
  return `    <div id="drop-${d}" class="drop">
      <b>Domain ${dom}</b> <span id="count-${d}">0 file(s)</span><br>
      files: <input type="file" accept="image/*" multiple data-testid="domain-${d}"><br>
      or a folder: <input type="file" id="folder-${d}" webkitdirectory multiple><br>
      or drop a folder here
    </div>
`;
};

export const TRAIN_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CycleGAN — train in this tab</title>
<link rel="stylesheet" href="../style.css">
<link rel="stylesheet" href="train.css">
</head>
<body>
<header>
  <h1>CycleGAN — train in this tab</h1>
  <span class="backend">TF.js backend: <b data-testid="backend">starting…</b> <small id="backend-why"></small></span>
</header>
<main>
<p class="hint">The images never leave this computer: the networks train in this browser tab (in a Web Worker), and the run is saved in the browser's own storage.</p>
<p id="saved" data-testid="saved"></p>
<section id="data">
  <h2>Images</h2>
  <div class="domains">
${domainBox('A')}${domainBox('B')}  </div>
  <div id="builtin">
    or a built-in dataset: <select data-testid="dataset" disabled><option value="">(none)</option></select>
    using the first <input type="number" id="dataset-max" min="1" step="1" value="200"> images of each domain
    <small id="dataset-hint" data-testid="dataset-hint"></small>
  </div>
</section>
<details id="options-box" open>
  <summary>Options (official names; the URL takes them too, e.g. ?ngf=16&amp;n_epochs=5)</summary>
  <div id="options"></div>
  <label>checkpoint every <input type="number" id="checkpoint-minutes" min="0" step="any"> minutes (and on pause)</label>
</details>
<div class="buttons">
  <button data-testid="train">Train</button>
  <button data-testid="pause" hidden>Pause</button>
  <button data-testid="resume" hidden>Resume</button>
  <button data-testid="stop" hidden>Stop</button>
  <button id="discard" hidden>Discard the saved run</button>
  <button data-testid="download-ga" hidden>Download G_A (.safetensors)</button>
  <button data-testid="download-gb" hidden>Download G_B (.safetensors)</button>
  <button data-testid="download-run" hidden title="cyclegan browser-run import FILE --name NAME, then cyclegan train --dataroot D --name NAME --continue">Download the run (for the CLI)</button>
  <label class="upload">Continue a CLI run (<code>cyclegan browser-run export</code>) on the images above: <input type="file" accept=".safetensors" data-testid="upload-run"></label>
</div>
<p id="error" role="alert" data-testid="error" hidden></p>
<p id="warning" data-testid="warning" hidden></p>
<div class="status">
  <span id="status" data-testid="status"></span>
  <div class="stats">
    <span>images trained <b data-testid="images-trained">0</b></span>
    <span>images/s <b data-testid="images-per-second">–</b></span>
    <span>ETA <b data-testid="eta">–</b></span>
    <span>lr <b data-testid="lr">–</b></span>
    <span id="epoch"></span>
  </div>
  <div>estimate: <span data-testid="estimate">measured on this machine when training starts</span></div>
  <div id="checkpoint" data-testid="checkpoint"></div>
  <small id="storage"></small>
</div>
<div id="chart-box"><svg id="loss-chart" data-testid="loss-chart" viewBox="0 0 800 320" preserveAspectRatio="none"></svg><div id="legend"></div></div>
<h3>Newest samples: real → fake → reconstructed</h3>
<div id="samples" data-testid="samples"></div>
<section id="translate-box" hidden>
  <h3>Translate a test image with the model being trained</h3>
  <select id="translate-net"><option value="G_A">A → B (G_A)</option><option value="G_B">B → A (G_B)</option></select>
  <input type="file" accept="image/*" data-testid="translate-input">
  <div id="translated-slot"></div>
</section>
</main>
<script type="module" src="train.js"></script>
</body>
</html>
`;

export const TRAIN_CSS = `
.domains { display: flex; gap: 1em; flex-wrap: wrap; }
.domains .drop { flex: 1 1 20em; line-height: 1.8; }
#options { display: grid; grid-template-columns: repeat(auto-fill, minmax(16em, 1fr)); gap: .3em 1em; margin: .6em 0; }
#options label { display: flex; justify-content: space-between; gap: .5em; }
#options input[type=number] { width: 7em; }
#builtin { margin-top: .6em; }
#dataset-max { width: 5em; }
.buttons { display: flex; gap: .6em; flex-wrap: wrap; margin: 1em 0; }
.buttons button { font-size: 1em; padding: .3em 1em; }
.stats { display: flex; gap: 1.5em; flex-wrap: wrap; margin: .4em 0; }
#warning { color: #a60; }
#backend-why { opacity: .8; }
#samples canvas, #translated-slot canvas { width: 160px; height: auto; image-rendering: pixelated; border: 1px solid #ccc; }
`;
