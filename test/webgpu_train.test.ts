// `train --backend webgpu` end to end on a tiny run: stopped mid-epoch and continued, it ends where an
// uninterrupted run ends (epoch, learning rate, loss log, weights), as the CPU backends are tested.
import test from 'node:test';
import { compareRuns } from './helpers/resume.js';
import { webgpuSkipReason } from './helpers/webgpu.js';

const skip = await webgpuSkipReason();

test('interrupted + continued = uninterrupted (webgpu backend)', { skip }, async () => {
  await compareRuns('webgpu', 3, 4, { 'n-epochs': 1, 'n-epochs-decay': 1 });
});
