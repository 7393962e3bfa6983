// Which files are images, and the folder walk that finds them: one extension list and one walker for
// training, test, eval and translate (src/data/dataset.ts scans what this lists; src/translate.ts takes it
// as is). pytorch-fid's own list (src/metrics/) extends IMG_EXTENSIONS.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CycleGANError } from '../core/errors.js';

/**
 * The official IMG_EXTENSIONS plus .webp; compared case-insensitively. The one list of image file types:
 * training, test, eval and translate folder walks all use it (pytorch-fid's own list extends it in metrics/).
 */
export const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.tif', '.tiff', '.webp'];

export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((e) => lower.endsWith(e));
}

export interface SkippedFile { path: string; reason: string }

async function walk(dir: string, skipped: SkippedFile[], top = true): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    if (top) throw new CycleGANError(`cannot list image folder ${dir} (${code}); check its permissions`);
    // an unreadable subfolder is skipped like an unreadable file, and named in the same warning
    skipped.push({ path: dir, reason: `folder cannot be listed: ${code}` });
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, skipped, false)));
    // like os.walk: links to folders are not followed (links to files are read)
    else if (!(e.isSymbolicLink() && (await stat(p).catch(() => null))?.isDirectory())) out.push(p);
  }
  return out;
}

/**
 * The image files of a folder as the official make_dataset lists them: walked recursively (links to
 * folders not followed), sorted, hidden files left out, image extensions only (IMG_EXTENSIONS). Unlistable
 * subfolders are returned in `skipped`; an unlistable `dir` itself is a CycleGANError.
 */
export async function listImageFiles(dir: string): Promise<{ files: string[]; skipped: SkippedFile[] }> {
  const skipped: SkippedFile[] = [];
  return { files: (await walkFiles(dir, skipped)).filter(isImageFile), skipped };
}

/** Every file under `dir` in the official walk's order (sorted names, depth first), hidden files left out. */
export async function walkFiles(dir: string, skipped: SkippedFile[]): Promise<string[]> {
  return (await walk(dir, skipped)).filter((p) => !basename(p).startsWith('.'));
}

