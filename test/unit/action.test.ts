/**
 * The composite action (action.yml) and the README's example workflow, validated by GitHub's own parser of
 * both formats: a misspelt key or a missing property fails here, not in a user's first workflow run.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { parse } from 'yaml';
import { repoRoot } from '../support/project.js';

const trace = new NoOperationTraceWriter();
const actionText = await readFile(join(repoRoot, 'action.yml'), 'utf8');
const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
const marker = readme.indexOf('<!-- workflow example -->\n```yaml\n');
const workflowText = readme.slice(readme.indexOf('\n', readme.indexOf('```yaml', marker)) + 1, readme.indexOf('\n```\n', marker) + 1);

interface Step {
  readonly uses?: string;
  readonly with?: Readonly<Record<string, string>>;
}

test('action.yml is a valid action', () => {
  const result = parseAction({ name: 'action.yml', content: actionText }, trace);
  assert.deepEqual(result.context.errors.getErrors().map((error) => error.message), []);
});

test("the README's example workflow is a valid workflow", () => {
  assert.notEqual(marker, -1, 'README.md has the workflow example');
  const result = parseWorkflow({ name: 'migrations.yml', content: workflowText }, trace);
  assert.deepEqual(result.context.errors.getErrors().map((error) => error.message), []);
});

test("the example's steps that use the action give only the action's inputs", () => {
  const inputs = Object.keys((parse(actionText) as { inputs: Record<string, unknown> }).inputs);
  const jobs = Object.values((parse(workflowText) as { jobs: Record<string, { steps: Step[] }> }).jobs);
  const uses = jobs.flatMap((job) => job.steps).filter((step) => step.uses === './node_modules/pgshift');
  assert.ok(uses.length >= 3);
  for (const step of uses) assert.deepEqual(Object.keys(step.with ?? {}).filter((key) => !inputs.includes(key)), []);
});
