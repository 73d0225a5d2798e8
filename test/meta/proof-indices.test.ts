/**
 * Index hygiene in proofs/: inside a sum over data sets, Σ_v a_{n,v}(…), the labelling model must be s(v), the model
 * that labels data set v, not another letter's (P10 once had ẽ_{s(g)} inside Σ_s).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const dir = new URL('../../proofs/', import.meta.url);

/** Math segments ($$…$$ first, then $…$) of a markdown file. */
function mathSegments(text: string): string[] {
  const display = [...text.matchAll(/\$\$([\s\S]+?)\$\$/g)].map((m) => m[1]);
  const inline = [...text.replace(/\$\$[\s\S]+?\$\$/g, '').matchAll(/\$([^$]+)\$/g)].map((m) => m[1]);
  return [...display, ...inline];
}

/** The letters of s(·) that follow a sum Σ_v a_{n,v} (up to the next sum) and differ from v. */
export function strayIndices(segment: string): string[] {
  const stray: string[] = [];
  for (const sum of segment.matchAll(/\\sum_\{?\s*([a-z])\b[^}]*?\}?\s*a_\{n,\s*([a-z])\}/g)) {
    if (sum[1] !== sum[2]) continue;
    const rest = segment.slice((sum.index ?? 0) + sum[0].length);
    const body = rest.split('\\sum')[0];
    for (const m of body.matchAll(/\bs\(([a-z])\)/g)) if (m[1] !== sum[1]) stray.push(m[1]);
  }
  return stray;
}

test('strayIndices finds the P10 typo and passes the corrected form', () => {
  assert.deepEqual(strayIndices(String.raw`\tilde e_{n,j} = \sum_s a_{n,s}\Big(m_j\,\tilde e_{s(g),j} + \xi_{s,j}\Big)`), ['g']);
  assert.deepEqual(strayIndices(String.raw`\tilde e_{n,j} = \sum_g a_{n,g}\Big(m_j\,\tilde e_{s(g),j} + \xi_{g,j}\Big)`), []);
  assert.deepEqual(strayIndices(String.raw`e_n = \sum_{g \le n} a_{n,g}\,(e_{s(g)} + z_g)`), []);
});

test('every sum over data sets in proofs/ labels with its own index', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.md'));
  assert.ok(files.length >= 3);
  for (const file of files) {
    for (const segment of mathSegments(readFileSync(new URL(file, dir), 'utf8'))) {
      assert.deepEqual(strayIndices(segment), [], `${file}: ${segment.slice(0, 160)}`);
    }
  }
});
