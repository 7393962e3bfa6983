// FID statistics files in pytorch-fid's layout: a NumPy .npz (a zip of .npy arrays) with `mu` (d) and
// `sigma` (d×d), float64. We write what np.savez writes (stored entries, .npy format 1.0, little-endian
// '<f8', C order) and read stored or deflated archives (np.savez_compressed) with '<f4'/'<f8' arrays.
import { readFileBounded } from '../read_file.js';
import { MAX_FID_STATS_BYTES } from '../core/limits.js';
import { writeFileAtomic } from '../atomic.js';
import { CycleGANError } from '../core/errors.js';
import { isZip, writeStoredZip, ZipError, ZipReader } from '../weights/zip.js';

export interface NpyArray {
  shape: number[];
  data: Float64Array;
}

export interface FidStats {
  mu: Float64Array;
  sigma: Float64Array;
  /** feature dimension */
  dims: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a .npy file holding a float array. */
export function parseNpy(buf: Uint8Array, label = 'array'): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new CycleGANError(`${label} is not a .npy array`);
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  if (hstart + hlen > buf.length) throw new CycleGANError(`${label}: truncated .npy header`);
  const header = new TextDecoder('latin1').decode(buf.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new CycleGANError(`${label}: unreadable .npy header`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((v) => !Number.isInteger(v) || v < 0)) throw new CycleGANError(`${label}: bad shape (${shapeText})`);
  const numel = shape.reduce((a, b) => a * b, 1);
  const m = /^([<>|=])([fi])(\d)$/.exec(descr);
  if (!m || (m[2] === 'f' && m[3] !== '4' && m[3] !== '8')) throw new CycleGANError(`${label}: dtype '${descr}' is not float32/float64`);
  const size = Number(m[3]);
  const le = m[1] !== '>';
  const start = hstart + hlen;
  if (buf.length - start < numel * size) throw new CycleGANError(`${label}: ${buf.length - start} data bytes, needs ${numel * size}`);
  const data = new Float64Array(numel);
  for (let i = 0; i < numel; i++) {
    const o = start + i * size;
    data[i] = m[2] === 'f'
      ? (size === 8 ? dv.getFloat64(o, le) : dv.getFloat32(o, le))
      : size === 8 ? Number(dv.getBigInt64(o, le)) : size === 4 ? dv.getInt32(o, le) : size === 2 ? dv.getInt16(o, le) : dv.getInt8(o);
  }
  if (fortran && shape.length === 2) {
    // column-major → row-major
    const [r, c] = shape;
    const t = new Float64Array(numel);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[i * c + j] = data[j * r + i];
    return { shape, data: t };
  }
  if (fortran && shape.length > 2) throw new CycleGANError(`${label}: Fortran-order arrays of rank ${shape.length} are not supported`);
  return { shape, data };
}

/** A .npy (format 1.0, '<f8', C order) of a float64 array. */
export function encodeNpy(shape: number[], data: Float64Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // pad with spaces so that the data starts on a 64-byte boundary, ending with '\n' (as numpy does)
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length * 8);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, total);
  for (let i = 0; i < data.length; i++) dv.setFloat64(i * 8, data[i], true);
  return out;
}


/** Reads `mu` and `sigma` from a pytorch-fid statistics file. */
export function parseFidStats(buf: Uint8Array, label: string): FidStats {
  if (!isZip(buf)) throw new CycleGANError(`${label} is not an .npz file (not a zip archive)`);
  let zip: ZipReader;
  try {
    zip = new ZipReader(buf);
  } catch (e) {
    throw new CycleGANError(`${label}: ${(e as Error).message}`);
  }
  const get = (key: string): NpyArray => {
    const name = zip.entries.has(`${key}.npy`) ? `${key}.npy` : key;
    if (!zip.entries.has(name)) throw new CycleGANError(`${label} has no '${key}' array (pytorch-fid statistics have 'mu' and 'sigma'; found: ${[...zip.entries.keys()].join(', ') || 'nothing'})`);
    try {
      return parseNpy(zip.read(name), `${label}:${key}`);
    } catch (e) {
      if (e instanceof ZipError) throw new CycleGANError(`${label}: ${e.message}`);
      throw e;
    }
  };
  const mu = get('mu'), sigma = get('sigma');
  const d = mu.data.length;
  if (mu.shape.length !== 1) throw new CycleGANError(`${label}: 'mu' has shape [${mu.shape}], expected a vector`);
  if (sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    throw new CycleGANError(`${label}: 'sigma' has shape [${sigma.shape}], expected [${d}, ${d}] to match 'mu'`);
  }
  return { mu: mu.data, sigma: sigma.data, dims: d };
}

export async function readFidStats(path: string): Promise<FidStats> {
  return parseFidStats(await readFileBounded(path, { what: 'FID statistics', maxBytes: MAX_FID_STATS_BYTES }), path);
}

export function encodeFidStats(s: FidStats): Uint8Array {
  return writeStoredZip([
    { name: 'mu.npy', data: encodeNpy([s.dims], s.mu) },
    { name: 'sigma.npy', data: encodeNpy([s.dims, s.dims], s.sigma) },
  ]);
}

/** Writes a statistics file atomically (np.load(path)['mu'], ['sigma'] read it). */
export async function writeFidStats(path: string, s: FidStats): Promise<void> {
  await writeFileAtomic(path, encodeFidStats(s));
}
