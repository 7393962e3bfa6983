// The Node API (package.json "exports" → node): the browser API of src/core plus backends, files, datasets and
// the workflows. The CLI (src/cli) is a thin shell over exactly this module: it imports nothing else of ours
// (scripts/check-boundaries.mjs), so what a command can do, a library user can do too.
export * from './core/index.js';

// backends, files, weights
export { initBackend, startBackend, setDeterministic, prepareSyncReads, BACKENDS, GPU_IDS_BACKENDS, NODE_BACKENDS } from './backends/index.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { readFileBounded, readFailureReason, type ReadFileOptions } from './read_file.js';
export { saveNetwork, loadNetwork, readModelBytes, checkModelPath } from './weights/network_file.js';
export { readTorchStateDict, parseTorchStateDict, stripDataParallel, type StateDict, type StateTensor } from './weights/torch_pth.js';
export { encodeTorchStateDict } from './export/torch_pth.js';
export { writeOnnx, writeTfjsGraphModel, ONNX_OPSET } from './export/index.js';

// options: one table (base / train / test) every command parses
export {
  UsageError, parseArgs, requireString, formatFlags, normalizeFlagName, suggestFlag,
  type FlagSpec, type ParsedArgs, type Rename, type FlagType, type FlagValue,
} from './flags.js';
export {
  ARCH_FLAGS, BASE_OPTIONS, TRAIN_OPTIONS, TEST_OPTIONS, MODELS, parseCommandArgs, pickOptions, optionsHelp, trainHelp,
  resolveTrainOptions, jsonToRawFlags, applySuffix, backendFor, defaultOf, resumeCommand, type OptionDef, type TrainOptions,
} from './train/options.js';

// data
export { datasetNames, defaultCacheDir, getDataset, listDatasets, type ProgressEvent } from './data/builtin.js';
export { directionFolders } from './data/dataset.js';
export {
  getOfficialDataset, isOfficialDataset, getPretrained, OFFICIAL_BASE, OFFICIAL_DATASETS, OFFICIAL_PRETRAINED, PRETRAINED_SPEC,
} from './data/official.js';

// workflows
export { loadNets, netFile, pthFile, runPaths, loadRunNetwork, readRunOptions } from './train/run_folder.js';
export { train } from './train/trainer.js';
export { runDemo, type DemoOptions } from './train/demo.js';
export { DEMO_DEFAULTS, planDemo, chooseDemoBackend, measureStepRate, type DemoPlan } from './train/demo_plan.js';
export { openTrainData } from './train/data_source.js';
export { installStopSignals } from './train/signals.js';
export { resolveTestSetup, type TestSetup } from './train/test_setup.js';
export { runSingleTest, runTest, resultsPaths, testLabelOf, testLabels } from './train/test_run.js';
export { evaluate, truthFolder } from './train/evaluate.js';
export { translateFile, translateFiles, collectInputs, outputPaths } from './translate.js';
export {
  checkFidDims, FID_BATCH_SIZE, FID_DEFAULT_DIMS, FID_WEIGHTS_ENV, FID_WEIGHTS_FILE, FID_DIMS, KID_DEFAULTS, loadFidInception, computeFid, type FidDims,
} from './metrics/index.js';
export {
  addMetricsToPage, describeScores, evalResultFile, scoreTranslations, type SideScores, type TranslationSide,
} from './metrics/run_eval.js';
export { startServer, DEFAULT_MAX_UPLOAD_BYTES } from './web/server.js';
export { runBench } from './bench.js';
// Training without Node (the in-browser page's engine), and moving its runs to and from run folders.
export {
  TrainEngine, encodeRunState, decodeRunState, pickEngineOptions,
  type EngineOptions, type EngineData, type EngineImage, type RunState, type StepResult,
} from './web/train/engine.js';
export { importBrowserRun, exportBrowserRun } from './train/browser_run.js';
