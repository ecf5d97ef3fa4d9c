import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBuildFresh, manifestOf, manifestPath } from '../../../lib/cli/fresh.ts';

let root: string;
let outdir: string;
const write = (path: string, text: string) => writeFileSync(join(root, path), text);
const build = (inputs: string[]) =>
  writeFileSync(manifestPath(outdir), JSON.stringify(manifestOf(root, inputs)));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'aios-fresh-'));
  outdir = join(root, 'bin', 'dist');
  mkdirSync(outdir, { recursive: true });
  mkdirSync(join(root, 'lib'));
  write('lib/a.ts', 'export const a = 1;\n');
  write('package.json', '{"version":"0.1.0"}\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the compiled CLI is used only while it matches its sources', () => {
  it('is fresh right after the build, and while a file is touched without being changed', () => {
    build(['lib/a.ts', 'package.json']);
    expect(isBuildFresh(outdir, root)).toBe(true);
    utimesSync(join(root, 'lib/a.ts'), new Date(), new Date(Date.now() + 60_000));
    expect(isBuildFresh(outdir, root)).toBe(true);
  });

  it('is stale once any input changes, and fresh again when the change is undone', () => {
    build(['lib/a.ts', 'package.json']);
    write('package.json', '{"version":"0.2.0"}\n');
    expect(isBuildFresh(outdir, root)).toBe(false);
    write('package.json', '{"version":"0.1.0"}\n');
    expect(isBuildFresh(outdir, root)).toBe(true);
  });

  it('is stale when an input is gone', () => {
    build(['lib/a.ts', 'package.json']);
    rmSync(join(root, 'lib/a.ts'));
    expect(isBuildFresh(outdir, root)).toBe(false);
  });

  it('is not fresh without a build, with an unreadable manifest, or with one that lists nothing', () => {
    expect(isBuildFresh(outdir, root)).toBe(false);
    expect(isBuildFresh(join(root, 'nowhere'), root)).toBe(false);
    writeFileSync(manifestPath(outdir), '{"inputs":');
    expect(isBuildFresh(outdir, root)).toBe(false);
    build([]);
    expect(isBuildFresh(outdir, root)).toBe(false);
  });
});
