// `cyclegan serve`: the in-browser translator for one generator, or the live dashboard of a run.
import { parseCommand, commonFlags, UsageError, type FlagSpec, formatFlags } from '../args.js';
import {
  BASE_OPTIONS, pickOptions, startServer, DEFAULT_MAX_UPLOAD_BYTES, loadRunNetwork, netFile,
  pthFile, saveNetwork, type GeneratorSpec,
} from '../../index.js';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A run folder of the official code (latest_net_G_A.pth / _G_B.pth, or a pretrained model's latest_net_G.pth):
 * its generators converted once into a temporary folder, with the architecture from the flags. Returns what
 * the server should show instead (a run folder or one model file), or undefined for one of our runs.
 */
async function officialFolder(root: string, f: Record<string, unknown>, log: (l: string) => void): Promise<{ checkpointsDir?: string; name?: string; model?: string; tmp: string } | undefined> {
  const ours = ['G_A', 'G_B'].some((n) => existsSync(netFile(root, 'latest', n as 'G_A')));
  const pths = ['G_A', 'G_B', 'G'].filter((n) => existsSync(pthFile(root, 'latest', n)));
  if (ours || pths.length === 0) return undefined;
  const inNc = Number(f['input-nc']), outNc = Number(f['output-nc']);
  const spec = (i: number, o: number): GeneratorSpec => ({
    role: 'generator', netG: String(f.netG) as GeneratorSpec['netG'], inputNc: i, outputNc: o, ngf: Number(f.ngf),
    norm: String(f.norm) as GeneratorSpec['norm'], useDropout: !f['no-dropout'],
  });
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cyclegan-serve-'));
  const name = path.basename(root);
  for (const n of pths) {
    const { net } = await loadRunNetwork(root, 'latest', n, n === 'G_B' ? spec(outNc, inNc) : spec(inNc, outNc));
    try {
      await saveNetwork(net, n === 'G' ? netFile(tmp, 'latest', 'G') : netFile(path.join(tmp, name), 'latest', n as 'G_A'));
    } finally {
      net.dispose();
    }
  }
  log(`cyclegan: converted the official ${pths.map((n) => `latest_net_${n}.pth`).join(', ')} of ${root} with --netG ${String(f.netG)} --ngf ${String(f.ngf)} --norm ${String(f.norm)}`);
  return pths.includes('G_A') || pths.includes('G_B') ? { checkpointsDir: tmp, name, tmp } : { model: netFile(tmp, 'latest', 'G'), tmp };
}

const FLAGS: FlagSpec[] = [
  { name: 'model', type: 'string', help: 'generator file (.safetensors) to translate with' },
  ...pickOptions(BASE_OPTIONS, ['checkpoints-dir', 'name']).map((d) => (d.name === 'name' ? { ...d, help: 'run to show: loss curves, samples and its latest generators' } : d)),
  // for a run folder of official .pth files, which do not record their architecture (official defaults)
  ...pickOptions(BASE_OPTIONS, ['netG', 'ngf', 'norm', 'no-dropout', 'input-nc', 'output-nc'], { 'no-dropout': true }),
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'address to bind; other machines can connect only if you change it' },
  { name: 'port', type: 'number', default: 8080, help: 'port (0 = any free port)' },
  { name: 'max-upload-mb', type: 'number', default: DEFAULT_MAX_UPLOAD_BYTES / 1048576, help: 'largest image file the page accepts' },
  ...commonFlags('help'),
];

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'serve', () => 'usage: cyclegan serve --model MODEL.safetensors [--port 8080] [--host 127.0.0.1]\n' +
    '       cyclegan serve --checkpoints-dir DIR --name NAME [--port 8080]\n' +
    '       cyclegan serve [--port 8080]   (the training page only)\n\n' +
    'Every form also serves the in-browser training page at /train.\n\n' +
    formatFlags(FLAGS));
  if (!args) return 0;
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const port = args.flags.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${port}`);
  const mb = args.flags['max-upload-mb'] as number;
  if (!(mb > 0)) throw new UsageError(`--max-upload-mb must be positive, got ${mb}`);
  const host = String(args.flags.host);
  const official = args.flags.name && !args.flags.model
    ? await officialFolder(path.resolve(String(args.flags['checkpoints-dir']), String(args.flags.name)), args.flags, (l) => console.error(l))
    : undefined;
  const server = await startServer({
    modelPath: official ? official.model : (args.flags.model as string | undefined),
    checkpointsDir: official ? official.checkpointsDir : args.flags.name ? String(args.flags['checkpoints-dir']) : undefined,
    name: official ? official.name : (args.flags.name as string | undefined),
    host,
    port,
    maxUploadBytes: Math.round(mb * 1048576),
    log: (l) => console.error(l),
  });
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.error(`warning: listening on ${host}; anyone who can reach this address can load the model, and the Host-header ` +
      'check (which guards against DNS rebinding on 127.0.0.1) is off');
  }
  console.log(`serving on ${server.url}  (Ctrl-C to stop); train in the browser at ${server.url}train`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  if (official) await fsp.rm(official.tmp, { recursive: true, force: true });
  return 0;
}
