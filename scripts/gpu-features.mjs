// What the GPU machine's WebGPU adapter offers, printed at the head of gpu-bench.sh's log: the adapter, its
// features and limits as our backend requests them, then the features Dawn adds when its unsafe/experimental
// APIs are allowed, with the subgroup-matrix (cooperative matrix: tensor cores) configurations it reports.
// Why: cuDNN runs our convolutions' shapes on TF32 tensor cores; our WGSL kernels use plain fp32. Whether
// Dawn's experimental subgroup matrices reach the tensor cores on that driver decides the next kernel work,
// and lavapipe (CI, this machine) has no VK_KHR_cooperative_matrix to tell.
// Run beside a node_modules/webgpu (the carried one): node gpu-features.mjs
import { create } from 'webgpu';

async function describe(flags) {
  const gpu = create(flags);
  const ad = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!ad) return `flags [${flags}]: no adapter`;
  const info = ad.info ?? {};
  const lines = [`flags [${flags.join(' ')}]: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`,
    `  features: ${[...ad.features].sort().join(' ')}`,
    `  maxComputeWorkgroupStorageSize ${ad.limits.maxComputeWorkgroupStorageSize}, ` +
      `maxComputeInvocationsPerWorkgroup ${ad.limits.maxComputeInvocationsPerWorkgroup}, ` +
      `subgroup sizes ${info.subgroupMinSize ?? '?'}..${info.subgroupMaxSize ?? '?'}`];
  const configs = info.subgroupMatrixConfigs;
  if (configs !== undefined) {
    lines.push(`  subgroupMatrixConfigs: ${JSON.stringify([...configs].map((c) => ({
      component: c.componentType, result: c.resultComponentType, M: c.M, N: c.N, K: c.K })))}`);
  }
  return lines.join('\n');
}

for (const flags of [[], ['enable-dawn-features=allow_unsafe_apis']]) {
  try {
    console.log(await describe(flags));
  } catch (e) {
    console.log(`flags [${flags}]: ${e instanceof Error ? e.message : e}`);
  }
}
process.exit(0);
