// Rewrites the option tables in docs/workflow.md from src/train/options.ts (run after `npm run build`);
// test/options.test.ts fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
const m = await import(new URL('../dist/src/train/options.js', import.meta.url));
const file = new URL('../docs/workflow.md', import.meta.url);
let doc = readFileSync(file, 'utf8');
for (const [tag, defs] of [['train', m.TRAIN_OPTIONS], ['test', m.TEST_ONLY_OPTIONS]]) {
  const re = new RegExp(`(<!-- options:${tag} [^>]*-->\\n)[\\s\\S]*?(\\n<!-- /options:${tag} -->)`);
  if (!re.test(doc)) throw new Error(`no options:${tag} section in docs/workflow.md`);
  doc = doc.replace(re, (_, a, b) => a + m.optionsMarkdown(defs) + b);
}
writeFileSync(file, doc);
