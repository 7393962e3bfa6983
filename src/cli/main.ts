#!/usr/bin/env node
// The `cyclegan` command: a thin dispatcher over src/cli/commands/<name>.ts, each exporting
// `run(argv): Promise<number>`; the one-line summaries are SUMMARIES below (help loads no command, nor the
// library: src/index.ts is loaded by the command, or here only to word a failure).

const COMMANDS: Record<string, () => Promise<{ run: (argv: string[]) => Promise<number> }>> = {
  'import-torch': () => import('./commands/import_torch.js'),
  translate: () => import('./commands/translate.js'),
  train: () => import('./commands/train.js'),
  test: () => import('./commands/test.js'),
  eval: () => import('./commands/eval.js'),
  datasets: () => import('./commands/datasets.js'),
  pretrained: () => import('./commands/pretrained.js'),
  demo: () => import('./commands/demo.js'),
  bench: () => import('./commands/bench.js'),
  serve: () => import('./commands/serve.js'),
  export: () => import('./commands/export.js'),
  fid: () => import('./commands/fid.js'),
  'browser-run': () => import('./commands/browser_run.js'),
};

// Kept here rather than read from each module, so `--help` does not load TF.js and every command.
const SUMMARIES: Record<keyof typeof COMMANDS, string> = {
  'import-torch': 'convert an official PyTorch generator (.pth or .safetensors state dict) to a model file',
  translate: 'translate images or folders with a model file or a run',
  train: 'train a CycleGAN on DATAROOT/trainA and trainB (official options)',
  test: 'write a results page for DATAROOT/testA and testB (--model cycle_gan) or one folder (--model test)',
  eval: 'PSNR and SSIM of translations against a ground-truth dataset',
  datasets: 'list or fetch the built-in datasets and the official CycleGAN datasets',
  pretrained: 'fetch an official pretrained CycleGAN generator as a ready model file',
  demo: 'fetch a dataset, train a small CycleGAN for ~7 minutes, write the report',
  bench: 'time inference, forward+backward and a training step (JSON)',
  serve: 'translate in the browser, or watch a run live',
  export: 'export a network to ONNX, a TF.js graph model or a PyTorch .pth state dict',
  fid: 'FID (and KID) between two image folders or .npz statistics, as pytorch-fid computes it',
  'browser-run': 'move a run between the in-browser training page and `train` (import a page run, export a CLI run)',
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log('usage: cyclegan <command> [flags]     (cyclegan <command> --help for its flags)\n\ncommands:');
    for (const [n, text] of Object.entries(SUMMARIES)) console.log(`  ${n.padEnd(13)} ${text}`);
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`cyclegan: unknown command '${name}' (try: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  let mod;
  try {
    mod = await load();
  } catch (e) {
    console.error(`cyclegan: command '${name}' is not available in this build (${(e as Error).message})`);
    return 2;
  }
  return mod.run(rest);
}

// --debug (anywhere) or CYCLEGAN_DEBUG=1 prints the stack trace of every failure, user-caused or not.
const argv = process.argv.slice(2);
const debug = argv.includes('--debug') || /^(1|true|yes)$/i.test(process.env.CYCLEGAN_DEBUG ?? '');

main(argv.filter((a) => a !== '--debug')).then(
  (code) => { process.exitCode = code; },
  async (err: unknown) => {
    const line = await userMessage(err);
    if (debug) console.error(err);
    if (line !== undefined) {
      // Expected failures (bad flags, bad files, a full disk) are one clear line.
      console.error(`cyclegan: ${line}`);
      process.exitCode = 2;
    } else {
      if (!debug) console.error(err);
      process.exitCode = 1;
    }
  },
);

/** The one line for a failure the user can act on (CycleGANError and UsageError are userFacing), or undefined for
 * a bug (which keeps its trace). */
async function userMessage(err: unknown): Promise<string | undefined> {
  if ((err as { userFacing?: boolean })?.userFacing) return (err as Error).message.split('\n')[0];
  const { describeSystemError } = await import('../index.js');
  return describeSystemError(err);
}
