/** The review formats' escaping and limits: a file's author controls names and text that end up in a pull request. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reviewAnnotations, reviewMarkdown, type Review } from '../../src/cli/render-review.js';
import type { Plan } from '../../src/migrator-types.js';

const finding = (file: string, message: string) => ({ rule: 'varchar-length' as const, severity: 'warning' as const, file, line: 2, column: 1, message, hint: 'use text' });

function review(steps: Plan['steps'], findings: Plan['findings'] = []): Review {
  return { plan: { direction: 'up', findings, steps, sql: '' }, problems: [], strict: false };
}

const step = (path: string, text: string) => ({ version: 2, name: 'x', path, transaction: true, text });

test('markdown: a message cannot mention, link, embed, emphasise or open HTML; a path cannot close its code span', () => {
  const path = 'migrations/002_x``y.sql';
  const hostile = 'table "@octocat [x](https://evil.example) ![i](https://e.x/p.png) *em* _u_ <img src=x> &amp;"';
  const text = reviewMarkdown(review([step(path, 'SELECT 1;\n')], [finding(path, hostile)]));
  const item = text.split('\n').find((line) => line.startsWith('- ⚠️')) ?? '';
  assert.equal(item, '- ⚠️ ``` migrations/002_x``y.sql:2:1 ``` **varchar-length** table \\"\\@octocat \\[x\\]\\(https\\:\\/\\/evil\\.example\\) \\!\\[i\\]\\(https\\:\\/\\/e\\.x\\/p\\.png\\) \\*em\\* \\_u\\_ \\<img src\\=x\\> \\&amp\\;\\"');
  assert.match(text, /^#### ``` migrations\/002_x``y\.sql ```$/m);
});

test("markdown: a file's SQL is shown while the review stays within a pull-request comment's size, and named when it would not", () => {
  const big = `${'SELECT 1;\n'.repeat(2500)}`;
  const text = reviewMarkdown(review([step('migrations/002_a.sql', 'SELECT 2;\n'), step('migrations/003_big.sql', big)]));
  assert.match(text, /```sql\nSELECT 2;\n```/);
  assert.match(text, /25,?000 characters: too long to show here; the pull request's diff has it/);
  assert.ok(text.length < 65_536);
});

test('github: a message cannot start a command of its own, and properties cannot end early', () => {
  const text = reviewAnnotations(review([step('m/002,a:b.sql', '')], [finding('m/002,a:b.sql', 'line one\n::error::forged\r100%')]), (path) => `svc/${path}`);
  const [first] = text.split('\n');
  assert.equal(first, '::warning file=svc/m/002%2Ca%3Ab.sql,line=2,col=1,title=pgshift varchar-length::line one%0A::error::forged%0D100%25%0Ahint: use text');
});
