// The train command as a user meets it: clear one-line errors for bad input, odd image folders, and
// SIGINT followed by --continue.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { resolveTrainOptions } from '../src/train/options.js';
import { CycleGANError } from '../src/core/errors.js';
import { makeRandomDataset, tempDir, writePng } from './workflow_util.js';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const TINY = ['--netG', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--netD', 'n_layers', '--n-layers-D', '1',
  '--load-size', '18', '--crop-size', '16', '--backend', 'wasm', '--seed', '1'];

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

/** One line on stderr, no stack trace. */
function assertOneLine(stderr: string, re: RegExp) {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], re);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

test('missing --dataroot is one clear line, exit 2', () => {
  const r = cli(['train', '--name', 'x']);
  assert.equal(r.status, 2);
  assertOneLine(r.stderr, /^cyclegan: missing required flag --dataroot$/);
});

test('bad flag values on the command line name the flag', () => {
  for (const [args, re] of [
    [['--netG', 'resnet_7blocks'], /--netG must be one of resnet_6blocks, resnet_9blocks, unet_128, unet_256; got 'resnet_7blocks'/],
    [['--crop-size', '300'], /--crop-size 300 is larger than --load-size 286/],
    [['--batch-size', 'two'], /--batch-size expects a number, got 'two'/],
    [['--no-such-flag'], /unknown flag --no-such-flag/],
  ] as const) {
    const r = cli(['train', '--dataroot', '/nonexistent', '--name', 'x', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assertOneLine(r.stderr, re);
  }
});

test('every option is validated with a message naming it', () => {
  const base = { dataroot: 'd', name: 'n' };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ name: undefined }, /missing required flag --name/],
    [{ name: 'a/b' }, /--name must be a plain folder name/],
    [{ netD: 'huge' }, /--netD must be one of/],
    [{ 'n-layers-D': 0 }, /--n-layers-D must be at least 1/],
    [{ ngf: 0 }, /--ngf must be at least 1/],
    [{ ndf: 2.5 }, /--ndf must be a whole number/],
    [{ norm: 'group' }, /--norm must be one of instance, batch, none/],
    [{ 'init-type': 'zeros' }, /--init-type must be one of/],
    [{ 'init-gain': 0 }, /--init-gain must be greater than 0/],
    [{ 'input-nc': 4 }, /--input-nc must be 1 \(greyscale\) or 3 \(RGB\)/],
    [{ 'output-nc': 2 }, /--output-nc must be 1/],
    [{ direction: 'AtoC' }, /--direction must be one of AtoB, BtoA/],
    [{ 'batch-size': 0 }, /--batch-size must be at least 1/],
    [{ 'load-size': -5 }, /--load-size must be at least 1/],
    [{ 'crop-size': 0 }, /--crop-size must be at least 1/],
    [{ 'crop-size': 258, 'load-size': 300 }, /--crop-size must be a multiple of 4 for --netG resnet_9blocks/],
    [{ netG: 'unet_256', 'crop-size': 128, 'load-size': 143 }, /--crop-size must be a multiple of 256 for --netG unet_256/],
    [{ preprocess: 'zoom' }, /--preprocess must be one of/],
    [{ 'max-dataset-size': '-3' }, /--max-dataset-size must be a whole number ≥ 1 or Infinity/],
    [{ 'gan-mode': 'hinge' }, /--gan-mode must be one of lsgan, vanilla, wgangp/],
    [{ 'lambda-A': -1 }, /--lambda-A must be at least 0/],
    [{ 'lambda-B': -1 }, /--lambda-B must be at least 0/],
    [{ 'lambda-identity': -0.5 }, /--lambda-identity must be at least 0/],
    [{ 'lambda-identity': 0.5, 'input-nc': 1 }, /--lambda-identity needs --input-nc equal to --output-nc/],
    [{ 'pool-size': -1 }, /--pool-size must be at least 0/],
    [{ lr: 0 }, /--lr must be greater than 0/],
    [{ beta1: 1 }, /--beta1 must be less than 1/],
    [{ 'lr-policy': 'exp' }, /--lr-policy must be one of linear, step, plateau, cosine/],
    [{ 'lr-decay-iters': 0 }, /--lr-decay-iters must be at least 1/],
    [{ 'n-epochs': -1 }, /--n-epochs must be at least 0/],
    [{ 'n-epochs-decay': -1 }, /--n-epochs-decay must be at least 0/],
    [{ 'n-epochs': 0, 'n-epochs-decay': 0 }, /--n-epochs plus --n-epochs-decay must be at least 1/],
    [{ 'epoch-count': 0 }, /--epoch-count must be at least 1/],
    [{ 'epoch-count': 201 }, /--epoch-count 201 is past the last epoch/],
    [{ epoch: 'best' }, /--epoch must be 'latest', an epoch number or iter_<n>/],
    [{ 'save-epoch-freq': 0 }, /--save-epoch-freq must be at least 1/],
    [{ 'save-latest-freq': 0 }, /--save-latest-freq must be at least 1/],
    [{ 'display-freq': 0 }, /--display-freq must be at least 1/],
    [{ 'print-freq': 0 }, /--print-freq must be at least 1/],
    [{ seed: -1 }, /--seed must be at least 0/],
    [{ backend: 'gpu' }, /--backend must be one of auto, native, wasm, cpu/],
  ];
  for (const [over, re] of cases) {
    assert.throws(() => resolveTrainOptions({ ...base, ...over }), (e: unknown) => e instanceof CycleGANError && re.test((e as Error).message), JSON.stringify(over));
  }
  // and the official defaults otherwise
  const d = resolveTrainOptions(base);
  assert.deepEqual(
    [d.netG, d.netD, d.nLayersD, d.ngf, d.ndf, d.norm, d.initType, d.initGain, d.noDropout, d.inputNc, d.outputNc, d.direction, d.batchSize,
      d.loadSize, d.cropSize, d.preprocess, d.noFlip, d.serialBatches, d.maxDatasetSize, d.ganMode, d.lambdaA, d.lambdaB, d.lambdaIdentity,
      d.poolSize, d.lr, d.beta1, d.lrPolicy, d.lrDecayIters, d.nEpochs, d.nEpochsDecay, d.epochCount, d.continueTrain, d.saveEpochFreq,
      d.saveLatestFreq, d.displayFreq, d.printFreq, d.checkpointsDir],
    ['resnet_9blocks', 'basic', 3, 64, 64, 'instance', 'normal', 0.02, true, 3, 3, 'AtoB', 1, 286, 256, 'resize_and_crop', false, false,
      Infinity, 'lsgan', 10, 10, 0.5, 50, 0.0002, 0.5, 'linear', 50, 100, 100, 1, false, 5, 5000, 400, 100, './checkpoints'],
  );
});

test('a missing folder or an empty domain is a clear error naming it', async () => {
  const root = await tempDir('cli-empty');
  try {
    let r = cli(['train', '--dataroot', path.join(root, 'nope'), '--name', 'x', ...TINY]);
    assert.equal(r.status, 2);
    assertOneLine(r.stderr, /--dataroot .*nope is not a folder/);
    await makeRandomDataset(root, { n: 2, size: 20 });
    await fsp.rm(path.join(root, 'trainB'), { recursive: true });
    await fsp.mkdir(path.join(root, 'trainB'));
    r = cli(['train', '--dataroot', root, '--name', 'x', '--checkpoints-dir', path.join(root, 'ck'), ...TINY]);
    assert.equal(r.status, 2);
    assertOneLine(r.stderr, new RegExp(`no usable image in ${path.join(root, 'trainB').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(the folder is empty\\)`));
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test('odd images: unreadable files are named, greyscale/RGBA/16-bit are converted and trained on', async () => {
  const root = await tempDir('cli-odd');
  try {
    await makeRandomDataset(root, { n: 2, size: 20 });
    const A = path.join(root, 'trainA');
    const jpeg = await sharp(Buffer.alloc(20 * 20 * 3, 90), { raw: { width: 20, height: 20, channels: 3 } }).jpeg().toBuffer();
    await fsp.writeFile(path.join(A, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await fsp.writeFile(path.join(A, 'notes.jpg'), 'this is text, not a picture\n');
    await fsp.writeFile(path.join(A, 'readme.txt'), 'hello\n');
    await writePng(path.join(A, 'grey.png'), new Uint8Array(20 * 20).fill(120), 20, 20, 1);
    await writePng(path.join(A, 'rgba.png'), new Uint8Array(20 * 20 * 4).fill(200), 20, 20, 4);
    const px16 = new Uint16Array(20 * 20 * 3).fill(40000);
    await fsp.writeFile(path.join(A, 'deep.png'), await sharp(Buffer.from(px16.buffer), { raw: { width: 20, height: 20, channels: 3 } }).toColourspace('rgb16').png().toBuffer());
    const r = cli(['train', '--dataroot', root, '--name', 'odd', '--checkpoints-dir', path.join(root, 'ck'), ...TINY,
      '--n-epochs', '1', '--n-epochs-decay', '0', '--print-freq', '1']);
    assert.equal(r.status, 0, r.stderr);
    for (const bad of ['truncated.jpg', 'notes.jpg', 'readme.txt']) assert.match(r.stderr, new RegExp(bad.replace('.', '\\.')), `${bad} not named`);
    for (const good of ['grey.png', 'rgba.png', 'deep.png']) assert.doesNotMatch(r.stderr, new RegExp(good.replace('.', '\\.')), `${good} wrongly skipped`);
    // 2 + 3 usable A images, 2 B: an epoch is max(5, 2) = 5 images
    assert.match(r.stderr, /5 images per epoch/);
    assert.match(r.stdout, /done: 5 images trained/);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test('SIGINT: the step finishes, a checkpoint is written, exit 130; --continue finishes the run', async () => {
  const root = await tempDir('cli-sigint');
  try {
    await makeRandomDataset(root, { n: 4, size: 20 });
    const ck = path.join(root, 'ck');
    const args = ['train', '--dataroot', root, '--name', 's', '--checkpoints-dir', ck, ...TINY, '--n-epochs', '3', '--n-epochs-decay', '2', '--print-freq', '1'];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    let sent = false;
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      // interrupt in the middle of epoch 2
      if (!sent && /epoch 2\/5 iter 2\/4/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    assert.ok(sent, `never saw epoch 2 progress:\n${out}\n${err}`);
    assert.equal(code, 130, err);
    assert.match(err, /SIGINT: finishing the current step/);
    assert.match(out, /saved checkpoint \(stop requested\): epoch 2, image [234]\/4/);
    assert.match(err, /resume with: cyclegan train .* --continue/);
    const ptr = JSON.parse(await fsp.readFile(path.join(ck, 's', 'state', 'LATEST'), 'utf8')) as { epoch: number; totalIters: number };
    assert.equal(ptr.epoch, 2);
    // --continue needs no other flag repeated: the run's options come from opt.json.
    const r = cli(['train', '--dataroot', root, '--name', 's', '--checkpoints-dir', ck, '--continue']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`resuming s at epoch 2, image ${ptr.totalIters - 4} of 4`));
    assert.match(r.stdout, /done: 20 images trained/);
    const done = JSON.parse(await fsp.readFile(path.join(ck, 's', 'state', 'LATEST'), 'utf8')) as { epoch: number; totalIters: number };
    assert.deepEqual([done.epoch, done.totalIters], [6, 20]);
    // an architecture flag that contradicts the saved networks is refused
    const bad = cli(['train', '--dataroot', root, '--name', 's', '--checkpoints-dir', ck, '--continue', '--ngf', '8']);
    assert.equal(bad.status, 2);
    assertOneLine(bad.stderr, /--ngf 8 differs from the run's 4/);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});

test('--direction BtoA with greyscale input: the domains swap in train and test; --continue --epoch N as official', async () => {
  const root = await tempDir('cli-btoa');
  try {
    await makeRandomDataset(root, { n: 2, size: 20 });
    await makeRandomDataset(root, { n: 2, size: 20, phase: 'test' });
    const ck = path.join(root, 'ck');
    const common = ['--dataroot', root, '--name', 'b', '--checkpoints-dir', ck, ...TINY, '--direction', 'BtoA', '--input-nc', '1', '--output-nc', '3', '--lambda-identity', '0'];
    let r = cli(['train', ...common, '--n-epochs', '1', '--n-epochs-decay', '1', '--save-epoch-freq', '1', '--print-freq', '2']);
    assert.equal(r.status, 0, r.stderr);
    const files = await fsp.readdir(path.join(ck, 'b'));
    for (const f of ['1_net_G_A.safetensors', '2_net_D_B.safetensors', 'latest_net_G_B.safetensors', 'opt.json', 'loss_log.jsonl']) assert.ok(files.includes(f), f);
    const saved = JSON.parse(await fsp.readFile(path.join(ck, 'b', 'opt.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([saved.direction, saved.input_nc, saved.lambda_identity, saved.seed], ['BtoA', 1, 0, 1]);
    const res = path.join(root, 'res');
    r = cli(['test', '--dataroot', root, '--name', 'b', '--checkpoints-dir', ck, '--results-dir', res, '--epoch', '1', '--backend', 'wasm']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /processed 2 of 2 images in .*testB and 2 of 2 in .*testA/);
    const page = await fsp.readFile(path.join(res, 'b', 'test_1', 'index.html'), 'utf8');
    assert.match(page, /images\/b000_real_A\.png/); // testB files are the A side
    // official --continue_train --epoch 1 --epoch_count 2: networks of epoch 1, epochs 2.. again
    r = cli(['train', '--dataroot', root, '--name', 'b', '--checkpoints-dir', ck, '--continue', '--epoch', '1', '--epoch_count', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /continuing b from 1_net_\* at epoch 2/);
    assert.match(r.stdout, /done: /);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
