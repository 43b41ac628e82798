// Risk: the repository only works beside the project's shared folder (a test reading protocol
// vectors from ../shared, a README link to a file a user does not have), so a plain clone
// cannot pass its own tests. Every tracked file is searched for paths that leave the
// repository towards that folder.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/transcripts.ts';

const THIS_FILE = path.relative(repoRoot, new URL(import.meta.url).pathname).split(path.sep).join('/');
// Spelled in pieces so that this file does not match itself.
const OUTSIDE = [new RegExp(['\\.\\.', '[\\\\/]', 'shared\\b'].join('')), new RegExp(['/work', '/'].join('')), new RegExp(['shared', '/protocol'].join(''))];

it('no tracked file refers to the shared folder outside the repository', () => {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  expect(files.length).toBeGreaterThan(100);
  const hits: string[] = [];
  for (const file of files) {
    if (file === THIS_FILE || /\.(png|ico|woff2)$/.test(file)) continue;
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    text.split('\n').forEach((line, i) => {
      if (OUTSIDE.some((re) => re.test(line))) hits.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(hits).toEqual([]);
});

it('the protocol reference the README points to is in the repository', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  expect(readme).toContain('](docs/protocol.md');
  expect(readFileSync(path.join(repoRoot, 'docs', 'protocol.md'), 'utf8')).toMatch(/^# The ASP\.NET State Server protocol/);
});
