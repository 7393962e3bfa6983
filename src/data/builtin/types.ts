// The built-in datasets' shared types: progress events, what getDataset takes, dataset.json, and what a
// builder returns.

export interface ProgressEvent {
  /** short description of the current step */
  stage: string;
  done?: number;
  total?: number;
  /** unit of done/total: 'bytes' or 'files' */
  unit?: 'bytes' | 'files';
}

export interface GetOptions {
  /** cache root (default $CYCLEGAN_CACHE or ~/.cache/cyclegan) */
  cacheDir?: string;
  /** also place a copy at this folder (atomically) and return it */
  out?: string;
  /** rebuild even if cached */
  force?: boolean;
  /** keep large downloads (the 1.3 GB FlightGear package) after building */
  keepDownloads?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** for mnist2ink: images per domain */
  trainSize?: number;
  testSize?: number;
}

/** The content of <dataset>/dataset.json. */
export interface DatasetInfo {
  name: string;
  version: number;
  description: string;
  source: string;
  license: string;
  counts: Record<string, number>;
  /** training options that suit the images (for train/demo) */
  recommended: { preprocess: string; loadSize: number; cropSize: number; inputNc: 1 | 3; outputNc: 1 | 3; noFlip?: boolean };
  /** ground-truth folders, when the dataset has them: truth of A→B for testA files, of B→A for testB files */
  truth?: { AtoB: string; BtoA: string };
  builtAt: string;
}

export interface BuiltinSpec {
  name: string;
  version: number;
  description: string;
  download: string;
  source: string;
  license: string;
  build: (outDir: string, ctx: BuildContext) => Promise<Omit<DatasetInfo, 'name' | 'version' | 'description' | 'source' | 'license' | 'builtAt'>>;
}

export interface BuildContext {
  downloads: string;
  opts: GetOptions;
  progress: (e: ProgressEvent) => void;
  /** downloads to delete after a successful build */
  cleanup: string[];
}

