// The option system: one table (official base / train / test split) for every command, the official flags
// accepted, older spellings renamed, official flags without meaning here accepted with a reason, unknown
// flags reported together with suggestions, and the library free of CLI imports.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  TRAIN_OPTIONS, TEST_OPTIONS, TEST_ONLY_OPTIONS, parseCommandArgs, resolveTrainOptions, backendFor, applySuffix, optionsMarkdown, resumeCommand, defaultOf,
} from '../src/train/options.js';
import { resolveTestSetup } from '../src/train/test_setup.js';
import { FLAGS as EVAL_FLAGS } from '../src/cli/commands/eval.js';
import { FLAGS as TRANSLATE_FLAGS } from '../src/cli/commands/translate.js';
import { tempDir } from './workflow_util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');

// The options of the current upstream options/base_options.py, train_options.py, test_options.py and of the
// CycleGAN / test models' modify_commandline_options (junyanz/pytorch-CycleGAN-and-pix2pix, master).
const UPSTREAM_BASE = ['dataroot', 'name', 'gpu_ids', 'checkpoints_dir', 'model', 'input_nc', 'output_nc', 'ngf', 'ndf', 'netD', 'netG',
  'n_layers_D', 'norm', 'init_type', 'init_gain', 'no_dropout', 'dataset_mode', 'direction', 'serial_batches', 'num_threads', 'batch_size',
  'load_size', 'crop_size', 'max_dataset_size', 'preprocess', 'no_flip', 'display_winsize', 'epoch', 'load_iter', 'verbose', 'suffix',
  'use_wandb', 'wandb_project_name'];
const UPSTREAM_TRAIN = ['display_freq', 'display_ncols', 'display_id', 'display_server', 'display_env', 'display_port', 'update_html_freq',
  'print_freq', 'no_html', 'save_latest_freq', 'save_epoch_freq', 'save_by_iter', 'continue_train', 'epoch_count', 'phase', 'n_epochs',
  'n_epochs_decay', 'beta1', 'lr', 'gan_mode', 'pool_size', 'lr_policy', 'lr_decay_iters', 'lambda_A', 'lambda_B', 'lambda_identity'];
const UPSTREAM_TEST = ['results_dir', 'aspect_ratio', 'phase', 'eval', 'num_test', 'model_suffix'];

function sampleValue(flag: string, table: typeof TRAIN_OPTIONS): string[] {
  const d = table.find((x) => x.official === flag)!;
  if (d.type === 'boolean') return [`--${flag}`];
  return [`--${flag}`, d.type === 'number' ? '1' : String(d.default ?? 'x')];
}

test('every upstream CycleGAN option is accepted by the commands it belongs to, snake_case and kebab-case', () => {
  for (const [table, names, cmd] of [[TRAIN_OPTIONS, [...UPSTREAM_BASE, ...UPSTREAM_TRAIN], 'train'], [TEST_OPTIONS, [...UPSTREAM_BASE, ...UPSTREAM_TEST], 'test']] as const) {
    for (const n of names) {
      assert.ok(table.some((d) => d.official === n), `${cmd}: no --${n}`);
      const a = parseCommandArgs(sampleValue(n, table), table, cmd);
      assert.equal(a.given.size, 1, `${cmd} --${n}`);
      const kebab = parseCommandArgs(sampleValue(n, table).map((s, i) => (i === 0 ? s.replace(/_/g, '-') : s)), table, cmd);
      assert.deepEqual([...kebab.given], [...a.given], `${cmd} kebab --${n}`);
    }
  }
  // eval and translate take every option of the official test.py too
  for (const [flags, cmd] of [[EVAL_FLAGS, 'eval'], [TRANSLATE_FLAGS, 'translate']] as const) {
    for (const n of [...UPSTREAM_BASE, ...UPSTREAM_TEST]) {
      const a = parseCommandArgs(sampleValue(n, TEST_OPTIONS), flags, cmd);
      assert.equal(a.given.size, 1, `${cmd} --${n}`);
    }
  }
  // train options are not test options, and the error says so
  assert.throws(() => parseCommandArgs(['--display_id', '-1', '--ngff', '8', '--n_epoch', '3'], TEST_OPTIONS, 'test'),
    /unknown flags --display_id \(a train option; test does not take it\), --ngff \(did you mean --ngf\?\), --n_epoch \(a train option.*\)|unknown flags --display_id \(a train option; test does not take it\), --ngff \(did you mean --ngf\?\), --n_epoch/);
});

test('unknown flags: all reported in one line, each with a suggestion where one is close', () => {
  assert.throws(() => parseCommandArgs(['--ngff', '8', '--lamda_A', '5', '--zzzz'], TRAIN_OPTIONS, 'train'),
    (e: Error) => e.message === 'unknown flags --ngff (did you mean --ngf?), --lamda_A (did you mean --lambda_A?), --zzzz; see cyclegan train --help');
});

test('older spellings and values map to the current ones with a note; ignored options say why', () => {
  const a = parseCommandArgs(['--niter', '3', '--niter_decay', '2', '--which_epoch', '4', '--lr_policy', 'lambda', '--no_lsgan', '--display_id', '0',
    '--loadSize', '30', '--fineSize', '24', '--norm', 'sync_instance'], TRAIN_OPTIONS, 'train');
  assert.equal(a.flags['n-epochs'], 3);
  assert.equal(a.flags['n-epochs-decay'], 2);
  assert.equal(a.flags['epoch'], '4');
  assert.equal(a.flags['lr-policy'], 'linear');
  assert.equal(a.flags['gan-mode'], 'vanilla');
  assert.equal(a.flags['load-size'], 30);
  assert.equal(a.flags['crop-size'], 24);
  assert.equal(a.flags['norm'], 'instance');
  const notes = a.notes.join('\n');
  for (const re of [/--niter is the older spelling of --n_epochs/, /--which_epoch is the older spelling of --epoch/, /--no_lsgan is the older spelling of --gan_mode vanilla/,
    /--lr_policy lambda is linear here/, /--display_id is accepted and ignored: visdom/, /--norm sync_instance is instance here/]) assert.match(notes, re);
  assert.equal(notes.split('\n').length, a.notes.length);
  // library callers get the same mapping
  assert.equal(resolveTrainOptions({ dataroot: 'd', name: 'n', 'lr-policy': 'lambda' }).lrPolicy, 'linear');
});

test('options that act: --suffix, --gpu_ids, --load_iter, --model/--dataset_mode, --phase, --num_threads', () => {
  const o = resolveTrainOptions({ dataroot: 'd', name: 'run', suffix: '{netG}_size{load_size}', 'load-iter': 20, phase: 'val', 'num-threads': 0 });
  assert.equal(o.name, 'run_resnet_9blocks_size286');
  assert.equal(o.epoch, 'iter_20');
  assert.equal(o.phase, 'val');
  assert.equal(o.numThreads, 0);
  assert.equal(applySuffix('x', '', {}), 'x');
  assert.throws(() => applySuffix('x', '{nope}', {}), /--suffix \{nope\}: no option 'nope'/);
  assert.equal(backendFor('auto', '-1', false), 'auto-cpu');
  assert.equal(backendFor('auto', '0,1,2', false), 'gpu');
  assert.equal(backendFor('wasm', '0', true), 'wasm');
  assert.equal(backendFor('auto', undefined, false), 'auto');
  assert.throws(() => backendFor('auto', 'cuda:0', false), /--gpu_ids must be -1 or comma-separated GPU numbers/);
  assert.equal(resolveTrainOptions({ dataroot: 'd', name: 'n', 'gpu-ids': '-1' }).backend, 'auto-cpu');
  assert.throws(() => resolveTrainOptions({ dataroot: 'd', name: 'n', model: 'test' }), /--model test is for testing only/);
  assert.throws(() => resolveTrainOptions({ dataroot: 'd', name: 'n', model: 'pix2pix' }), /--model must be one of cycle_gan, test/);
  assert.throws(() => resolveTrainOptions({ dataroot: 'd', name: 'n', 'dataset-mode': 'single' }), /--dataset-mode single is for --model test/);
  assert.throws(() => resolveTrainOptions({ dataroot: 'd', name: 'n', 'n-epochs': 2, 'n-epochs-decay': 0, 'epoch-count': 3 }),
    /--epoch-count 3 is past the last epoch .*raise --n-epochs-decay/);
});

test('test: model flags are checked against the run\'s saved options; defaults come from the run', async () => {
  const dir = await tempDir('opts');
  const run = path.join(dir, 'ck', 'r');
  await fsp.mkdir(run, { recursive: true });
  await fsp.writeFile(path.join(run, 'opt.json'), JSON.stringify({ netG: 'resnet_6blocks', ngf: 8, norm: 'instance', no_dropout: true, crop_size: 32, preprocess: 'crop', direction: 'BtoA' }));
  const setup = (argv: string[]) => resolveTestSetup(parseCommandArgs(['--dataroot', dir, '--name', 'r', '--checkpoints_dir', path.join(dir, 'ck'), ...argv], TEST_OPTIONS, 'test'), { log: () => {} });
  const s = await setup(['--netG', 'resnet_6blocks', '--ngf', '8', '--no_dropout', '--norm', 'sync_instance']);
  assert.equal(s.model, 'cycle_gan');
  assert.equal(s.test.cropSize, 32);
  assert.equal(s.test.loadSize, 32); // load size = crop size at test time, as test_options.py
  assert.equal(s.test.preprocess, 'crop');
  assert.equal(s.test.direction, 'BtoA');
  await assert.rejects(setup(['--ngf', '16']), /--ngf 16 does not match the run's 8 \(.*opt\.json\); the saved networks fix it/);
  await assert.rejects(setup(['--netG', 'unet_256']), /--netG unet_256 does not match the run's resnet_6blocks/);
  await assert.rejects(setup(['--model', 'pix2pix']), /--model pix2pix is not available: this is CycleGAN only/);
  await assert.rejects(setup(['--model', 'cycle_gan', '--dataset_mode', 'single']), /--dataset-mode single needs --model test/);
  const t = await setup(['--model', 'test', '--model_suffix', '_B', '--load_iter', '7', '--phase', 'val']);
  assert.equal(t.single.netName, 'G_B');
  assert.equal(t.single.datasetMode, 'single');
  assert.equal(t.test.loadIter, 7);
  // the value checks test shares with train (choice, checkFolderName, checkEpoch): the same one line for the same value
  const trainError = (flag: string, v: string): string => {
    try {
      resolveTrainOptions({ dataroot: 'd', name: 'n', [flag]: v });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`train took --${flag} ${v}`);
  };
  // (--direction is checked while parsing, by core/limits.ts's FLAG_CHOICES, for every command)
  for (const [flag, v] of [['netG', 'resnet_7blocks'], ['norm', 'group'], ['preprocess', 'zoom'],
    ['dataset-mode', 'pairs'], ['epoch', 'best'], ['phase', '..'], ['name', '.']] as const) {
    const want = trainError(flag, v);
    assert.match(want, new RegExp(`^--${flag} must be`));
    // a run with no saved options, so that the flag itself is checked (not compared with opt.json)
    const argv = ['--dataroot', dir, '--name', 'unsaved', '--checkpoints_dir', path.join(dir, 'ck'), `--${flag}`, v];
    await assert.rejects(resolveTestSetup(parseCommandArgs(argv, TEST_OPTIONS, 'test'), { log: () => {} }), (e: Error) => e.message === want, `test --${flag} ${v}`);
  }
});

test('docs/workflow.md shows the option tables of src/train/options.ts', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/workflow.md'), 'utf8');
  const section = (tag: string) => {
    const m = new RegExp(`<!-- options:${tag} [^>]*-->\\n([\\s\\S]*?)\\n<!-- /options:${tag} -->`).exec(doc);
    assert.ok(m, `no options:${tag} section`);
    return m[1];
  };
  assert.equal(section('train'), optionsMarkdown(TRAIN_OPTIONS));
  assert.equal(section('test'), optionsMarkdown(TEST_ONLY_OPTIONS));
});

test('the library imports nothing from src/cli', () => {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'cli' ? [] : walk(path.join(d, e.name))) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []);
  for (const f of walk(path.join(ROOT, 'src'))) {
    assert.doesNotMatch(readFileSync(f, 'utf8'), /from '[./]*(\.\.\/)*cli\//, f);
  }
});

test('train: a size a U-Net cannot take (--netG unet_256 --preprocess none on 100 px) is one line before training', async () => {
  const { spawnSync } = await import('node:child_process');
  const { makeRandomDataset } = await import('./workflow_util.js');
  const dir = await tempDir('unet');
  await makeRandomDataset(path.join(dir, 'd'), { n: 1, size: 100, phase: 'train' });
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'train', '--dataroot', path.join(dir, 'd'), '--name', 'u', '--checkpoints_dir', path.join(dir, 'ck'),
    '--netG', 'unet_256', '--preprocess', 'none', '--ngf', '2', '--ndf', '2', '--gpu_ids', '-1'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /a000\.png: --netG unet_256 needs a width and height that are multiples of 256 but --preprocess none makes it 100x100/);
});

test('resumeCommand: the line train and browser-run print; the checkpoints folder only when not the default', () => {
  assert.equal(resumeCommand({ dataroot: 'd', name: 'n', checkpointsDir: String(defaultOf(TRAIN_OPTIONS, 'checkpoints-dir')) }),
    'cyclegan train --dataroot d --name n --continue');
  assert.equal(resumeCommand({ dataroot: 'd', name: 'n', checkpointsDir: '/runs' }), 'cyclegan train --dataroot d --name n --checkpoints-dir /runs --continue');
});
