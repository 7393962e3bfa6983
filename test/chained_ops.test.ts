// Tensor methods without the union package (src/core/chained_ops.ts): every method tfjs-core declares on Tensor
// (one file each under its public/chained_ops) is registered, and they compute what the ops compute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { tf } from '../src/core/tf.js';
import { CHAINED_OP_NAMES } from '../src/core/chained_ops.js';

test('every chained op tfjs-core declares is registered, none more', () => {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'public', 'chained_ops');
  const declared = readdirSync(dir).filter((f) => f.endsWith('.js') && !f.includes('test') && !f.startsWith('register_all'))
    .map((f) => /prototype\.(\w+)\s*=\s*function/.exec(readFileSync(path.join(dir, f), 'utf8'))?.[1] ?? `unparsed ${f}`).sort();
  assert.deepEqual([...CHAINED_OP_NAMES], declared);
  const t = tf.tensor([1, 2, 3, 4]);
  const proto = Object.getPrototypeOf(t) as Record<string, unknown>;
  for (const name of CHAINED_OP_NAMES) assert.equal(typeof proto[name], 'function', name);
});

test('chained ops compute what the ops compute', () => {
  const t = tf.tensor4d([1, -2, 3, -4, 5, -6], [1, 1, 2, 3]);
  assert.deepEqual([...t.slice([0, 0, 1, 0], [1, 1, 1, -1]).dataSync()], [-4, 5, -6]);
  assert.deepEqual([...t.add(1).mul(2).dataSync()], [4, -2, 8, -6, 12, -10]);
  assert.deepEqual(t.as2D(2, 3).shape, [2, 3]);
  assert.deepEqual([...t.toInt().abs().sum().dataSync()], [21]);
  assert.deepEqual([...t.concat(t, 3).dataSync()].length, 12);
  assert.deepEqual([...tf.tensor([1, 2]).where(tf.tensor([true, false], undefined, 'bool'), tf.tensor([9, 9])).dataSync()], [1, 9]);
  t.dispose();
  assert.throws(() => t.add(1), /disposed/);
});
