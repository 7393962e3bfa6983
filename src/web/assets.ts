// The page's static HTML and CSS. Kept in TypeScript so `tsc` ships them in dist/ with the rest.

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CycleGAN</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
  <h1>CycleGAN</h1>
  <span class="backend">TF.js backend: <b data-testid="backend">starting…</b></span>
</header>
<main>
<section id="translate" hidden>
  <h2 id="model-title">Translate an image</h2>
  <p class="hint">The image never leaves this computer: the network runs in this browser tab.</p>
  <div id="controls">
    <label id="direction-label" hidden>Direction <select id="direction"></select></label>
    <label id="eval-label" hidden><input type="checkbox" id="eval"> eval mode: batch norm with its running statistics, no dropout (official <code>--eval</code>; off = official test.py)</label>
    <label id="drop" class="drop">Drop an image here, or choose one: <input type="file" accept="image/*"></label>
  </div>
  <div class="status"><progress id="progress" max="1" value="0" hidden></progress> <span id="status" data-testid="status"></span></div>
  <p id="error" role="alert" data-testid="error" hidden></p>
  <div class="pair">
    <figure><div id="input-slot" class="slot"></div><figcaption>input</figcaption></figure>
    <figure><div id="result-slot" class="slot"></div><figcaption>result <a id="download" data-testid="download" download="translated.png" hidden>download PNG</a></figcaption></figure>
  </div>
</section>
<section id="dashboard" hidden>
  <h2>Run <span id="run-name"></span></h2>
  <p class="hint" id="run-status" data-testid="run-status"></p>
  <div id="chart-box"><svg id="loss-chart" data-testid="loss-chart" viewBox="0 0 800 320" preserveAspectRatio="none"></svg>
    <div id="legend"></div></div>
  <h3>Latest samples <span id="samples-epoch"></span></h3>
  <div id="samples" data-testid="samples"></div>
</section>
<p id="fatal" role="alert" hidden></p>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

export const STYLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #222; background: #fafafa; }
body { margin: 0; }
header { display: flex; align-items: baseline; gap: 2em; padding: .6em 1.2em; background: #243447; color: #fff; }
header h1 { margin: 0; font-size: 1.3em; }
main { padding: 1em 1.2em; max-width: 1400px; }
.hint { color: #666; margin: .2em 0 .8em; }
.drop { display: block; border: 2px dashed #8aa; border-radius: 8px; padding: 1.2em; background: #fff; }
.drop.over { background: #e6f4f4; border-color: #277; }
#controls { display: flex; flex-direction: column; gap: .6em; max-width: 40em; }
.status { min-height: 1.6em; margin: .6em 0; }
#error, #fatal { color: #a00; font-weight: 600; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; }
.slot canvas, .slot img { max-width: 45vw; min-width: 256px; height: auto; image-rendering: pixelated; border: 1px solid #ccc; background: #fff; image-rendering: auto; }
figcaption { color: #555; font-size: .9em; }
#chart-box { display: flex; gap: 1em; align-items: flex-start; }
#loss-chart { width: min(800px, 70vw); height: 320px; background: #fff; border: 1px solid #ccc; }
#legend div { font-size: .85em; white-space: nowrap; }
#legend span { display: inline-block; width: 1.2em; height: .3em; margin-right: .4em; vertical-align: middle; }
#samples { display: flex; flex-wrap: wrap; gap: .6em; }
#samples figure img { width: 160px; height: auto; border: 1px solid #ccc; }
`;
