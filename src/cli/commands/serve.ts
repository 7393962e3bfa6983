// `cyclegan serve`: the in-browser translator for one generator, or the live dashboard of a run.
import { UsageError, type FlagSpec, formatFlags } from '../args.js';
import { BASE_OPTIONS, parseCommandArgs, pickOptions } from '../../train/options.js';
import { startServer, DEFAULT_MAX_UPLOAD_BYTES } from '../../web/server.js';

export const summary = 'serve a web page that translates images in the browser (--model) or shows a run live (--name)';

const FLAGS: FlagSpec[] = [
  { name: 'model', type: 'string', help: 'generator file (.safetensors) to translate with' },
  ...pickOptions(BASE_OPTIONS, ['checkpoints-dir', 'name']).map((d) => (d.name === 'name' ? { ...d, help: 'run to show: loss curves, samples and its latest generators' } : d)),
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'address to bind; other machines can connect only if you change it' },
  { name: 'port', type: 'number', default: 8080, help: 'port (0 = any free port)' },
  { name: 'max-upload-mb', type: 'number', default: DEFAULT_MAX_UPLOAD_BYTES / 1048576, help: 'largest image file the page accepts' },
  { name: 'help', type: 'boolean', default: false },
];

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, FLAGS, 'serve');
  for (const n of args.notes) console.error(`cyclegan: ${n}`);
  if (args.flags.help) {
    console.log('usage: cyclegan serve --model MODEL.safetensors [--port 8080] [--host 127.0.0.1]\n' +
      '       cyclegan serve --checkpoints-dir DIR --name NAME [--port 8080]\n\n' +
      formatFlags(FLAGS));
    return 0;
  }
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const port = args.flags.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${port}`);
  const mb = args.flags['max-upload-mb'] as number;
  if (!(mb > 0)) throw new UsageError(`--max-upload-mb must be positive, got ${mb}`);
  const host = String(args.flags.host);
  const server = await startServer({
    modelPath: args.flags.model as string | undefined,
    checkpointsDir: args.flags.name ? String(args.flags['checkpoints-dir']) : undefined,
    name: args.flags.name as string | undefined,
    host,
    port,
    maxUploadBytes: Math.round(mb * 1048576),
    log: (l) => console.error(l),
  });
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.error(`warning: listening on ${host}; anyone who can reach this address can load the model, and the Host-header ` +
      'check (which guards against DNS rebinding on 127.0.0.1) is off');
  }
  console.log(`serving on ${server.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
