// Forward outputs and gradients of every network fixture against the official PyTorch implementation.
import test from 'node:test';
import { initBackend } from '../src/backends/index.js';
import { fixturesAvailable } from './helpers/fixtures.js';
import { checkFixture, DISCRIMINATORS, GENERATORS } from './helpers/parity.js';

const skip = fixturesAvailable() ? false : 'reference fixtures not found (../shared/fixtures/reference)';

test('network parity on the default backend', { skip }, async (t) => {
  const backend = await initBackend(process.env.CYCLEGAN_TEST_BACKEND ?? 'auto');
  for (const name of [...GENERATORS, ...DISCRIMINATORS]) {
    await t.test(`${name} (${backend})`, () => checkFixture(name));
  }
});

test('generator parity on wasm', { skip }, async (t) => {
  await initBackend('wasm');
  for (const name of GENERATORS) await t.test(`${name} (wasm)`, () => checkFixture(name));
});
