#!/usr/bin/env node
// The `cyclegan` command: a thin dispatcher over src/cli/commands/<name>.ts, each exporting
// `run(argv): Promise<number>` and `summary`.
import { UsageError } from './args.js';

const COMMANDS: Record<string, () => Promise<{ run: (argv: string[]) => Promise<number>; summary: string }>> = {
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
};

// Kept here rather than read from each module, so `--help` does not load TF.js and every command.
const SUMMARIES: Record<keyof typeof COMMANDS, string> = {
  'import-torch': 'convert an official PyTorch generator (.pth or .safetensors state dict) to a model file',
  translate: 'translate images or folders with a model file or a run',
  train: 'train a CycleGAN on DATAROOT/trainA and trainB (official options)',
  test: 'write a results page for DATAROOT/testA and testB',
  eval: 'PSNR and SSIM of translations against a ground-truth dataset',
  datasets: 'list or fetch the built-in datasets and the official CycleGAN datasets',
  pretrained: 'fetch an official pretrained CycleGAN generator as a ready model file',
  demo: 'fetch a dataset, train a small CycleGAN for ~7 minutes, write the report',
  bench: 'time inference, forward+backward and a training step (JSON)',
  serve: 'translate in the browser, or watch a run live',
  export: 'export a network to ONNX or a TF.js graph model',
  fid: 'FID (and KID) between two image folders or .npz statistics, as pytorch-fid computes it',
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

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    // Expected failures (bad flags, bad files) are one clear line; anything else keeps its trace.
    if (err instanceof UsageError || (err as { userFacing?: boolean })?.userFacing) {
      console.error(`cyclegan: ${(err as Error).message}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
