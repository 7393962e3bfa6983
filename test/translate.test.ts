// Official generators saved by PyTorch (both torch.save formats and safetensors), imported with import-torch and
// run with translate --preprocess none, must reproduce the official test pipeline's PNGs within 2 levels.
import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CycleGANError } from '../src/core/errors.js';
import { initBackend } from '../src/backends/index.js';
import { decodeImageU8 } from '../src/data/image.js';
import { loadNetwork } from '../src/weights/network_file.js';
import { collectInputs, outputPaths, translateFile } from '../src/translate.js';
import { run as importTorch } from '../src/cli/commands/import_torch.js';
import { run as translate } from '../src/cli/commands/translate.js';
import { webgpuSkipReason } from './helpers/webgpu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FX = path.resolve(here, '../../test/fixtures/torch');
const fx = (f: string) => path.join(FX, f);

interface Case {
  name: string;
  netG: string;
  ngf: number;
  norm: string;
  input_nc: number;
  output_nc: number;
  files: string[];
  images: Array<{ input: string; size_in: [number, number]; size_out: [number, number]; official: string; official_eval?: string }>;
}
const CASES = (JSON.parse(readFileSync(fx('manifest.json'), 'utf8')) as { cases: Case[] }).cases;

async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

async function maxLevelDiff(a: string, b: string): Promise<{ max: number; size: [number, number] }> {
  const x = await decodeImageU8(a);
  const y = await decodeImageU8(b);
  assert.deepEqual([x.width, x.height], [y.width, y.height], `${a} vs ${b}: size`);
  let max = 0;
  for (let i = 0; i < x.data.length; i++) max = Math.max(max, Math.abs(x.data[i] - y.data[i]));
  return { max, size: [x.width, x.height] };
}

const tmp = () => fsp.mkdtemp(path.join(os.tmpdir(), 'cg-translate-'));

const webgpuSkip = await webgpuSkipReason();
for (const backend of ['auto', 'cpu', 'webgpu']) {
  test(`official generators (every family, every format) reproduce the official PNGs within 2 levels [backend ${backend}]`,
    { skip: backend === 'webgpu' ? webgpuSkip : false }, async (t) => {
    const dir = await tmp();
    const report: string[] = [];
    for (const c of CASES) {
      for (const file of c.files) {
        const model = path.join(dir, `${file}.safetensors`);
        assert.equal(await quiet(() => importTorch([fx(file), '--netG', c.netG, '--ngf', String(c.ngf), '--norm', c.norm,
          '--input-nc', String(c.input_nc), '--output-nc', String(c.output_nc), '--out', model])), 0);
        const inputs = c.images.map((im) => fx(im.input));
        // official test.py, then test.py --eval (differs only for batch norm / dropout)
        for (const evalMode of c.norm === 'batch' ? [false, true] : [false]) {
          const out = path.join(dir, `out-${file}-${evalMode}`);
          const flags = ['--model', model, '--preprocess', 'none', '--backend', backend, '--out', out, ...(evalMode ? ['--eval'] : [])];
          assert.equal(await quiet(() => translate([...flags, ...inputs])), 0);
          for (const im of c.images) {
            const mine = path.join(out, im.input); // DIR/<input name without extension>.png
            const official = evalMode ? im.official_eval! : im.official;
            const { max, size } = await maxLevelDiff(mine, fx(official));
            assert.deepEqual(size, im.size_out, `${file}: ${im.input} is ${im.size_in.join('x')}, official output ${im.size_out.join('x')}`);
            assert.ok(max <= 2, `${file} on ${im.input}${evalMode ? ' --eval' : ''}: max difference ${max} levels`);
            report.push(`${c.netG}/${c.norm}/nc${c.input_nc} ${file}${evalMode ? ' --eval' : ''}: max ${max}`);
          }
        }
      }
    }
    t.diagnostic(report.join('; '));
    await fsp.rm(dir, { recursive: true, force: true });
  });
}

test('translate from a run folder: --direction AtoB uses <epoch>_net_G_A, BtoA uses _G_B', async () => {
  const dir = await tmp();
  const run = path.join(dir, 'ckpt', 'horse2zebra');
  await fsp.mkdir(run, { recursive: true });
  const [res, res9] = [CASES.find((c) => c.netG === 'resnet_6blocks')!, CASES.find((c) => c.netG === 'resnet_9blocks')!];
  await quiet(() => importTorch([fx(res.files[0]), '--netG', res.netG, '--ngf', String(res.ngf), '--out', path.join(run, 'latest_net_G_A.safetensors')]));
  await quiet(() => importTorch([fx(res9.files[0]), '--netG', res9.netG, '--ngf', String(res9.ngf), '--out', path.join(run, 'latest_net_G_B.safetensors')]));
  await fsp.copyFile(path.join(run, 'latest_net_G_A.safetensors'), path.join(run, '5_net_G_A.safetensors'));
  const ckpt = ['--checkpoints-dir', path.join(dir, 'ckpt'), '--name', 'horse2zebra', '--backend', 'cpu'];
  for (const [dirn, c, epoch] of [['AtoB', res, 'latest'], ['BtoA', res9, 'latest'], ['AtoB', res, '5']] as const) {
    const out = path.join(dir, `out-${dirn}-${epoch}`);
    await quiet(() => translate([...ckpt, '--direction', dirn, '--epoch', epoch, '--out', out, fx(c.images[0].input)]));
    const { max } = await maxLevelDiff(path.join(out, c.images[0].input), fx(c.images[0].official));
    assert.ok(max <= 2, `${dirn} ${epoch}: ${max}`);
  }
  await assert.rejects(translate([...ckpt, '--epoch', '7', '--out', dir, fx(res.images[0].input)]), /no checkpoint 7_net_G_A\.safetensors or \.pth in .*horse2zebra \(checkpoints here: 5, latest; check --epoch.*import-torch/);
  await assert.rejects(translate([...ckpt, '--name', 'zebra2horse', '--out', dir, fx(res.images[0].input)]), /no checkpoint .* in .*zebra2horse \(no such run folder; check --name and --checkpoints-dir\)/);
  await assert.rejects(translate([...ckpt, '--direction', 'sideways', '--out', dir, fx(res.images[0].input)]), /--direction must be AtoB or BtoA/);
  await fsp.rm(dir, { recursive: true, force: true });
});

test('translate: folders in, names out, clear errors', async () => {
  const dir = await tmp();
  const c = CASES.find((x) => x.netG === 'resnet_6blocks')!;
  const model = path.join(dir, 'g.safetensors');
  await quiet(() => importTorch([fx(c.files[0]), '--netG', c.netG, '--ngf', String(c.ngf), '--out', model]));
  // a folder with images in a subfolder, a JPEG copy under another extension case, and a non-image file
  const src = path.join(dir, 'in');
  await fsp.mkdir(path.join(src, 'sub'), { recursive: true });
  await fsp.copyFile(fx(c.images[0].input), path.join(src, 'b.png'));
  await fsp.copyFile(fx(c.images[1].input), path.join(src, 'sub', 'a.PNG'));
  await fsp.writeFile(path.join(src, 'notes.txt'), 'not an image');
  assert.deepEqual(await collectInputs([src]), [path.join(src, 'b.png'), path.join(src, 'sub', 'a.PNG')]);
  const out = path.join(dir, 'out');
  assert.equal(await quiet(() => translate(['--model', model, '--backend', 'cpu', '--out', out, src])), 0);
  assert.deepEqual((await fsp.readdir(out)).sort(), ['a.png', 'b.png']);
  assert.ok((await maxLevelDiff(path.join(out, 'b.png'), fx(c.images[0].official))).max <= 2);
  assert.ok((await maxLevelDiff(path.join(out, 'a.png'), fx(c.images[1].official))).max <= 2);

  // two inputs that would write the same DIR/<name>.png
  assert.throws(() => outputPaths(['x/a.png', 'y/a.jpg'], 'o'), /would both be written as o\/a\.png/);
  await assert.rejects(translate(['--model', model, '--out', out, path.join(dir, 'nothing-here')]), /input .*nothing-here does not exist/);
  const empty = path.join(dir, 'empty');
  await fsp.mkdir(empty);
  await assert.rejects(translate(['--model', model, '--out', out, empty]), /holds no image files/);
  await assert.rejects(translate(['--model', model, '--out', out, '--preprocess', 'zoom', src]), /unknown --preprocess 'zoom'/);
  await assert.rejects(translate(['--out', out, src]), /needs --model .* or --name/);
  await assert.rejects(translate(['--model', model, src]), /missing required flag --out/);
  // a non-image file given explicitly is a clear error naming it
  await assert.rejects(translate(['--model', model, '--backend', 'cpu', '--out', out, path.join(src, 'notes.txt')]), (e: unknown) => {
    assert.ok(e instanceof CycleGANError);
    assert.match(e.message, /notes\.txt: not an image/);
    return true;
  });
  // a raw PyTorch state dict passed as --model says how to convert it
  await assert.rejects(translate(['--model', fx('resnet_6blocks_ngf4.safetensors'), '--backend', 'cpu', '--out', out, src]), /import-torch/);
  await fsp.rm(dir, { recursive: true, force: true });
});

test('translate: preprocess modes and U-Net size requirements', async () => {
  await initBackend('cpu');
  const dir = await tmp();
  const unet = CASES.find((x) => x.netG === 'unet_128')!;
  const res = CASES.find((x) => x.netG === 'resnet_6blocks')!;
  const m1 = path.join(dir, 'unet.safetensors');
  const m2 = path.join(dir, 'res.safetensors');
  await quiet(() => importTorch([fx(unet.files[0]), '--netG', 'unet_128', '--ngf', '4', '--out', m1]));
  await quiet(() => importTorch([fx(res.files[0]), '--netG', 'resnet_6blocks', '--ngf', '4', '--out', m2]));
  const u = await loadNetwork(m1);
  const r = await loadNetwork(m2);
  try {
    // 37x29 cannot go through a 7-level U-Net unresized: say so and how to fix it
    await assert.rejects(translateFile(u, fx(res.images[0].input)), /unet_128 needs a width and height that are multiples of 128 but the image is 36x28/);
    // resize_and_crop at 128 makes it fit
    const a = await translateFile(u, fx(res.images[0].input), { preprocess: 'resize_and_crop', loadSize: 128, cropSize: 128 });
    assert.deepEqual(a.size, [128, 128]);
    // scale_width keeps the aspect ratio: 37x29 → 64x50 (int(max(64*29/37, crop))); the ResNet's stride-2
    // convs then round 50 → 25 → 13 and back up to 52, as in PyTorch
    const b = await translateFile(r, fx(res.images[0].input), { preprocess: 'scale_width', loadSize: 64, cropSize: 16 });
    assert.deepEqual(b.size, [64, 52]);
    const c = await translateFile(r, fx(unet.images[0].input), { preprocess: 'crop', cropSize: 32 });
    assert.deepEqual(c.size, [32, 32]);
    assert.deepEqual(c.inputSize, [130, 127]);
    for (const img of [a, b, c]) assert.ok(img.image.data.every((v) => v >= -1 && v <= 1));
    // the official test.py default runs batch norm in train mode; translating must still leave the model as it was
    const bnCase = CASES.find((x) => x.norm === 'batch')!;
    const m3 = path.join(dir, 'bn.safetensors');
    await quiet(() => importTorch([fx(bnCase.files[0]), '--netG', bnCase.netG, '--ngf', String(bnCase.ngf), '--norm', 'batch', '--out', m3]));
    const bn = await loadNetwork(m3);
    try {
      const before = new Map([...bn.buffers].map(([k, v]) => [k, Array.from(v.dataSync())]));
      const first = await translateFile(bn, fx(bnCase.images[0].input));
      const again = await translateFile(bn, fx(bnCase.images[0].input));
      assert.deepEqual(again.image.data, first.image.data);
      for (const [k, v] of bn.buffers) assert.deepEqual(Array.from(v.dataSync()), before.get(k), k);
      const evalOut = await translateFile(bn, fx(bnCase.images[0].input), { eval: true });
      assert.notDeepEqual(evalOut.image.data, first.image.data);
    } finally {
      bn.dispose();
    }
  } finally {
    u.dispose();
    r.dispose();
  }
  await fsp.rm(dir, { recursive: true, force: true });
});
