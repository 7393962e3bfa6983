// cyclegan test: the official test.py over the option table (base + test options). A shell over
// src/train/test_run.ts; the model and architecture checks live in src/train/test_setup.ts.
import {
  CycleGANError, TEST_OPTIONS, parseCommandArgs, optionsHelp, startBackend, resolveTestSetup, runSingleTest,
  runTest,
} from '../../index.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(optionsHelp('usage: cyclegan test --dataroot DIR --name NAME [--model cycle_gan|test] [--epoch latest] [--results_dir ./results] [--num_test 50]', TEST_OPTIONS));
    return 0;
  }
  const args = parseCommandArgs(argv, TEST_OPTIONS, 'test');
  if (args.positional.length) throw new CycleGANError(`unexpected argument '${args.positional[0]}' (flags start with --)`);
  const log = (l: string) => console.error(l);
  const setup = await resolveTestSetup(args, { log });
  const backend = await startBackend(setup.backend, log);
  const t0 = performance.now();
  const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
  if (setup.model === 'test') {
    const r = await runSingleTest(setup.single, setup.specs?.G);
    if (r.converted) log(`converted ${setup.single.netName} from the official .pth with ${setup.archText}`);
    console.log(`processed ${r.processed} of ${r.available} images in ${r.folder} (${secs()} s on ${backend})`);
    console.log(`results: ${r.page}`);
    return 0;
  }
  const r = await runTest(setup.test, setup.specs?.G_A && setup.specs.G_B ? { G_A: setup.specs.G_A, G_B: setup.specs.G_B } : undefined);
  console.log(`processed ${r.A.processed} of ${r.A.available} images in ${r.A.folder} and ${r.B.processed} of ${r.B.available} in ${r.B.folder} ` +
    `(${secs()} s on ${backend})`);
  console.log(`results: ${r.page}`);
  return 0;
}
