/** The import graph keeps its rules (.dependency-cruiser.cjs): no cycles, a pure core, nothing below the CLI importing it. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('src/ has no import cycle and no dependency that points the wrong way', async () => {
  const options = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const tsConfigFile = join(root, 'tsconfig.json');
  const { output } = await cruise(['src'], { ...options, baseDir: root, tsConfig: { fileName: tsConfigFile } }, {}, { tsConfig: extractTSConfig(tsConfigFile) });
  const { summary } = output as ICruiseResult;
  const found = summary.violations.map((violation) => {
    const path = violation.cycle === undefined ? [violation.from, violation.to] : [violation.from, ...violation.cycle.map((step) => step.name)];
    return `${violation.rule.name}: ${path.join(' → ')}`;
  });
  assert.deepEqual(found, []);
  assert.ok(summary.totalCruised > 50, `only ${summary.totalCruised} modules cruised: is src/ still where the test looks?`);
});
