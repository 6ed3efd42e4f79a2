/**
 * docs/aws-behaviour.md names, for every AWS behaviour the product depends on, the tests that pin the
 * stand-in to it, as `file: "title"` (a test file under test/, by its name without `.test.ts`, and the
 * title of a test in it, or a part of the title). A name that matches no test is a loose reference: a
 * renamed or deleted test would leave the line claiming a pin it no longer has.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const DOC = 'docs/aws-behaviour.md';

/** Test files under test/ by their name without `.test.ts` (or `.ts`): two files may share a name (unit and workflow). */
function testFiles(): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'fixtures') walk(path);
      } else if (e.name.endsWith('.test.ts')) {
        const name = e.name.replace(/\.test\.ts$/, '');
        byName.set(name, [...(byName.get(name) ?? []), path]);
      }
    }
  };
  walk(join(ROOT, 'test'));
  return byName;
}

export interface Pin {
  row: string;
  file: string;
  title: string;
}

/**
 * The pins of every table row (`| E1 | ...`): the fifth cell, split at `;` into `file: "title", "title" (note)`.
 * A row whose cell names no test, or a part without a file name, is reported as a problem.
 */
export function pinsOf(doc: string): { pins: Pin[]; problems: string[] } {
  const pins: Pin[] = [];
  const problems: string[] = [];
  for (const line of doc.split('\n')) {
    const row = /^\| ([A-Z]\d+) \|/.exec(line)?.[1];
    if (!row) continue;
    const cells = line.split(' | ');
    if (cells.length !== 6) {
      problems.push(`${row}: ${cells.length} cells, the table has 6`);
      continue;
    }
    const cell = cells[4] ?? '';
    for (const part of cell.split(/;\s*(?=[a-z-]+: ")/)) {
      const m = /^([a-z-]+): ((?:"[^"]+"(?:, )?)+)/.exec(part.trim());
      if (!m) {
        problems.push(`${row}: "${part.trim()}" names no test (write file: "test title")`);
        continue;
      }
      for (const t of (m[2] ?? '').matchAll(/"([^"]+)"/g)) pins.push({ row, file: m[1] ?? '', title: t[1] ?? '' });
    }
  }
  return { pins, problems };
}

/** The pins that match no test: the file name is not a test file's, or no test in it has that title. */
export function loosePins(pins: Pin[], files: Map<string, string[]>, read: (path: string) => string): string[] {
  const loose: string[] = [];
  for (const p of pins) {
    const paths = files.get(p.file);
    if (!paths) {
      loose.push(`${p.row}: ${p.file}: no test file test/**/${p.file}.test.ts`);
      continue;
    }
    // The title as the source spells it (quotes escaped or not).
    if (
      !paths.some((path) =>
        read(path)
          .replace(/\\(['"`])/g, '$1')
          .includes(p.title),
      )
    ) {
      loose.push(`${p.row}: ${p.file}: no test titled "${p.title}"`);
    }
  }
  return loose;
}

describe(DOC, () => {
  const doc = readFileSync(join(ROOT, DOC), 'utf8');
  const files = testFiles();
  const read = (path: string) => readFileSync(path, 'utf8');

  it('names, on every line, the tests that pin it as file: "title"', () => {
    const { pins, problems } = pinsOf(doc);
    expect(problems).toEqual([]);
    const rows = [...doc.matchAll(/^\| ([A-Z]\d+) \|/gm)].map((m) => m[1]);
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.filter((r) => !pins.some((p) => p.row === r))).toEqual([]);
  });

  it('names only tests that exist: each title is a test in the file named', () => {
    expect(loosePins(pinsOf(doc).pins, files, read)).toEqual([]);
  });

  it('catches a loose name (the checks above can fail)', () => {
    const broken = doc
      .replace('standin: "a second delete meanwhile answers as the first"', 'standin: "a second delete answers as the first"')
      .replace('fault-matrix: "copy stuck past its deadline"', 'fault matrix: copy stuck')
      .replace('moto-oracle: "stores a mixed-case', 'moto-oracles: "stores a mixed-case');
    const { pins, problems } = pinsOf(broken);
    expect(problems).toEqual(['R6: "fault matrix: copy stuck" names no test (write file: "test title")']);
    expect(loosePins(pins, files, read)).toEqual([
      'E6: standin: no test titled "a second delete answers as the first"',
      'R8: moto-oracles: no test file test/**/moto-oracles.test.ts',
    ]);
  });
});
