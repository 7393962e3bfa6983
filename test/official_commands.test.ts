// The CycleGAN command lines of the official repository (README.md, docs/tips.md, docs/qa.md, scripts/*.sh and
// the CycleGAN part of scripts/test_before_push.py) run as written: `python train.py` / `python test.py` become
// `cyclegan train` / `cyclegan test`, and only flags appended at the end make them tiny (later flags win, as
// with argparse). Each must succeed and write the official output names. Lines from the docs' prose (not a
// code block) are marked as such.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { makeRandomDataset, tempDir } from './workflow_util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const FX = path.join(ROOT, 'test/fixtures/torch');

/** Appended to every line: tiny networks and images, one short epoch, the CPU backends. */
const TINY_NETS = ['--netG', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--netD', 'n_layers', '--n_layers_D', '1'];
const TINY_TRAIN = [...TINY_NETS, '--load_size', '18', '--crop_size', '16', '--n_epochs', '1', '--n_epochs_decay', '0',
  '--max_dataset_size', '2', '--seed', '1', '--gpu_ids', '-1'];
const TINY_TEST = ['--load_size', '16', '--crop_size', '16', '--num_test', '2', '--gpu_ids', '-1'];

/** Splits an official command line as a shell would (quotes removed) and maps python X.py to the command. */
function toArgv(line: string): string[] {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  assert.equal(words[0], 'python');
  const cmd = { 'train.py': 'train', 'test.py': 'test' }[words[1]];
  assert.ok(cmd, line);
  return [cmd, ...words.slice(2)];
}

function run(cwd: string, line: string, extra: string[]): { stdout: string; stderr: string } {
  const argv = toArgv(line);
  const r = spawnSync(process.execPath, [CLI, ...argv, ...extra], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${line}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${line}: a stack trace\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

async function workspace(): Promise<string> {
  const cwd = await tempDir('official');
  for (const ds of ['maps', 'mini']) {
    await makeRandomDataset(path.join(cwd, 'datasets', ds), { n: 3, size: 20, phase: 'train', seed: 1 });
    await makeRandomDataset(path.join(cwd, 'datasets', ds), { n: 3, size: 20, phase: 'test', seed: 2 });
  }
  return cwd;
}

const trained = (cwd: string, name: string) => {
  for (const n of ['G_A', 'G_B', 'D_A', 'D_B']) assert.ok(existsSync(path.join(cwd, 'checkpoints', name, `latest_net_${n}.safetensors`)), `${name} ${n}`);
  assert.ok(existsSync(path.join(cwd, 'checkpoints', name, 'web', 'index.html')));
};

async function cycleResults(cwd: string, name: string, dir = 'test_latest'): Promise<void> {
  const root = path.join(cwd, 'results', name, dir);
  assert.ok(existsSync(path.join(root, 'index.html')), root);
  const files = await fsp.readdir(path.join(root, 'images'));
  for (const suffix of ['real_A', 'fake_B', 'rec_A', 'real_B', 'fake_A', 'rec_B']) {
    assert.ok(files.some((f) => f.endsWith(`_${suffix}.png`)), `${root}: no *_${suffix}.png in ${files.join(' ')}`);
  }
}

async function singleResults(cwd: string, name: string, n: number): Promise<string[]> {
  const root = path.join(cwd, 'results', name, 'test_latest');
  const files = (await fsp.readdir(path.join(root, 'images'))).sort();
  assert.equal(files.filter((f) => f.endsWith('_real.png')).length, n, files.join(' '));
  assert.equal(files.filter((f) => f.endsWith('_fake.png')).length, n, files.join(' '));
  assert.ok(existsSync(path.join(root, 'index.html')));
  return files;
}

test('README.md and scripts/*.sh: train and test a CycleGAN (--model cycle_gan)', async () => {
  const cwd = await workspace();
  // README.md "CycleGAN train/test"
  const t = run(cwd, 'python train.py --dataroot ./datasets/maps --name maps_cyclegan --model cycle_gan --use_wandb', TINY_TRAIN);
  assert.match(t.stderr, /--use_wandb is accepted and ignored/);
  assert.match(t.stderr, /trains at learning rate 0/); // --n_epochs 1 --n_epochs_decay 0: one warning line
  trained(cwd, 'maps_cyclegan');
  run(cwd, 'python test.py --dataroot ./datasets/maps --name maps_cyclegan --model cycle_gan', TINY_TEST);
  await cycleResults(cwd, 'maps_cyclegan');
  // scripts/train_cyclegan.sh and scripts/test_cyclegan.sh (a fresh name: the README run above exists)
  await fsp.rm(path.join(cwd, 'checkpoints'), { recursive: true });
  await fsp.rm(path.join(cwd, 'results'), { recursive: true });
  run(cwd, 'python train.py --dataroot ./datasets/maps --name maps_cyclegan --model cycle_gan --pool_size 50 --no_dropout', TINY_TRAIN);
  trained(cwd, 'maps_cyclegan');
  const s = run(cwd, 'python test.py --dataroot ./datasets/maps --name maps_cyclegan --model cycle_gan --phase test --no_dropout', TINY_TEST);
  assert.match(s.stderr, /\[1\/4\]/); // progress while it works
  await cycleResults(cwd, 'maps_cyclegan');
  // docs/qa.md (prose): one direction of the run over a single folder at its own size
  run(cwd, 'python test.py --dataroot ./datasets/maps/trainA --name maps_cyclegan --model test --model_suffix _A --preprocess none', ['--gpu_ids', '-1']);
  await singleResults(cwd, 'maps_cyclegan', 3);
  // --aspect_ratio stretches the written images as the official save_images
  run(cwd, 'python test.py --dataroot ./datasets/maps/trainA --name maps_cyclegan --model test --model_suffix _A --preprocess none --aspect_ratio 2 --results_dir ./results_ar',
    ['--gpu_ids', '-1', '--num_test', '1']);
  const ar = await sharp(path.join(cwd, 'results_ar/maps_cyclegan/test_latest/images/a000_fake.png')).metadata();
  assert.deepEqual([ar.width, ar.height], [40, 20]);
  run(cwd, 'python test.py --dataroot ./datasets/maps/trainA --name maps_cyclegan --model test --model_suffix _A --display_winsize 64 --results_dir ./results_w',
    ['--gpu_ids', '-1', '--num_test', '1']);
  assert.match(await fsp.readFile(path.join(cwd, 'results_w/maps_cyclegan/test_latest/index.html'), 'utf8'), /<img [^>]*width="64"/);
  // docs/tips.md and docs/qa.md (prose): continue with --continue_train --epoch_count, CPU with --gpu_ids -1
  const c = run(cwd, 'python train.py --dataroot ./datasets/maps --name maps_cyclegan --model cycle_gan --continue_train --epoch_count 2 --gpu_ids -1',
    [...TINY_TRAIN, '--n_epochs_decay', '1']);
  assert.match(c.stderr, /continuing maps_cyclegan from latest_net_\* at epoch 2; the optimizers start fresh/);
});

test('README.md: apply a pretrained CycleGAN generator (official latest_net_G.pth, --model test)', async () => {
  const cwd = await workspace();
  const ckpt = path.join(cwd, 'checkpoints', 'horse2zebra_pretrained');
  await fsp.mkdir(ckpt, { recursive: true });
  // an official generator state dict (torch.save), as scripts/download_cyclegan_model.sh installs it
  await fsp.copyFile(path.join(FX, 'resnet_6blocks_ngf4.zip.pth'), path.join(ckpt, 'latest_net_G.pth'));
  const testA = path.join(cwd, 'datasets', 'horse2zebra', 'testA');
  await fsp.mkdir(testA, { recursive: true });
  await fsp.copyFile(path.join(FX, 'resnet_6blocks_ngf4_in0.png'), path.join(testA, 'in0.png'));
  const r = run(cwd, 'python test.py --dataroot datasets/horse2zebra/testA --name horse2zebra_pretrained --model test --no_dropout',
    ['--netG', 'resnet_6blocks', '--ngf', '4', '--preprocess', 'none', '--gpu_ids', '-1']);
  assert.match(r.stderr, /converted G from the official \.pth/);
  await singleResults(cwd, 'horse2zebra_pretrained', 1);
  // the fake is the official test.py output of this checkpoint (test/fixtures/torch/README.md)
  const ours = await sharp(path.join(cwd, 'results/horse2zebra_pretrained/test_latest/images/in0_fake.png')).raw().toBuffer();
  const theirs = await sharp(path.join(FX, 'resnet_6blocks_ngf4_in0.official.png')).raw().toBuffer();
  assert.equal(ours.length, theirs.length);
  let max = 0;
  for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
  assert.ok(max <= 2, `max level difference ${max}`);
  // scripts/test_before_push.py: the same model on the mini dataset (every image under DATAROOT)
  run(cwd, 'python test.py --model test --dataroot ./datasets/mini --name horse2zebra_pretrained --no_dropout --num_test 1 --no_dropout',
    ['--netG', 'resnet_6blocks', '--ngf', '4', '--gpu_ids', '-1', '--load_size', '16', '--crop_size', '16']);
  await fsp.rm(path.join(cwd, 'results'), { recursive: true });
  // a wrong architecture is one line naming the flags
  const bad = spawnSync(process.execPath, [CLI, 'test', '--dataroot', testA, '--name', 'horse2zebra_pretrained', '--model', 'test', '--no_dropout', '--gpu_ids', '-1'],
    { cwd, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.trim(), /^cyclegan: .*latest_net_G\.pth: .*check --netG, --ngf/);
  assert.equal(bad.stderr.trim().split('\n').filter((l) => !l.startsWith('cyclegan: converted')).length, 1, bad.stderr);
});

test('scripts/test_before_push.py: train with the old spellings, test one side with --model_suffix', async () => {
  const cwd = await workspace();
  const t = run(cwd, 'python train.py --model cycle_gan --name temp --dataroot ./datasets/mini --niter 1 --niter_decay 0 --save_latest_freq 10  --print_freq 1 --display_id -1',
    TINY_TRAIN.filter((_, i, a) => !['--n_epochs', '--n_epochs_decay'].includes(a[i]) && !['--n_epochs', '--n_epochs_decay'].includes(a[i - 1])));
  assert.match(t.stderr, /--niter is the older spelling of --n_epochs/);
  assert.match(t.stderr, /--display_id is accepted and ignored/);
  trained(cwd, 'temp');
  // the official text files beside ours: train_opt.txt (print_options) and loss_log.txt (Visualizer)
  const opt = await fsp.readFile(path.join(cwd, 'checkpoints/temp/train_opt.txt'), 'utf8');
  assert.match(opt, /^----------------- Options ---------------\n/);
  assert.match(opt, /^ {17}lambda_A: 10\.0 {26}\n/m);
  assert.match(opt, /^ {17}n_epochs: 1 {29}\t\[default: 100\]\n/m);
  assert.match(opt, /^ {16}lr_policy: lambda {24}\n/m);
  const log = await fsp.readFile(path.join(cwd, 'checkpoints/temp/loss_log.txt'), 'utf8');
  assert.match(log, /^================ Training Loss \(.+\) ================\n/);
  assert.match(log, /^\(epoch: 1, iters: 1, time: \d+\.\d{3}, data: 0\.000\) D_A: \d+\.\d{3} G_A: \d+\.\d{3} cycle_A: .* idt_B: \d+\.\d{3} \n/m);
  run(cwd, 'python test.py --model test --name temp --dataroot ./datasets/mini --num_test 1 --model_suffix "_A" --no_dropout', ['--gpu_ids', '-1', '--load_size', '16', '--crop_size', '16']);
  await singleResults(cwd, 'temp', 1);
  // docs/tips.md: high-resolution training (scale_width_and_crop) and testing (scale_width), made tiny by later flags
  run(cwd, 'python train.py --dataroot ./datasets/maps --name maps_hr --model cycle_gan --preprocess scale_width_and_crop --load_size 1024 --crop_size 360',
    [...TINY_TRAIN, '--load_size', '20']);
  trained(cwd, 'maps_hr');
  run(cwd, 'python test.py --dataroot ./datasets/maps --name maps_hr --model cycle_gan --preprocess scale_width --load_size 1024', [...TINY_TEST, '--load_size', '16']);
  await cycleResults(cwd, 'maps_hr');
});
