/**
 * The table of environment variables (`src/config-variables.ts`) is the one description of the
 * server's configuration: `docs/configuration.md`'s variable tables must say what it says, row for
 * row (a failure prints the table to paste), and each variable sets a field of its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, type ConfigSection } from '../src/config-variables.js';
import { DEFAULT_CONFIG } from '../src/config.js';

const DOC = new URL('../../../docs/configuration.md', import.meta.url);
const SECTIONS: ConfigSection[] = ['server', 'access', 'webhooks'];

/** The cells of a Markdown table row (pipes inside code escaped as `\|` stay in their cell). */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The data rows of the table that follows the section's marker comment in the docs. */
function documentedRows(doc: string, section: ConfigSection): string[][] {
  const marker = doc.indexOf(`(section ${section})`);
  expect(marker, `docs/configuration.md has no table marked "(section ${section})"`).not.toBe(-1);
  const lines = doc.slice(marker).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start + 2, end === -1 ? undefined : end).map(cells);
}

function expectedRows(section: ConfigSection): string[][] {
  return CONFIG_VARIABLES.filter((v) => v.section === section).map((v) => [
    `\`${v.variable}\``,
    v.meaning,
    v.default,
  ]);
}

describe('the table of environment variables', () => {
  const doc = readFileSync(DOC, 'utf8');

  it.each(SECTIONS)('is what docs/configuration.md lists (%s)', (section) => {
    const expected = expectedRows(section);
    const markdown = [
      '| variable | meaning | default |',
      '| --- | --- | --- |',
      ...expected.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
    expect(
      documentedRows(doc, section),
      `docs/configuration.md disagrees with src/config-variables.ts; its ${section} table should be (then run prettier):\n${markdown}\n`,
    ).toEqual(expected);
  });

  it('names each variable and each field once, and only fields the config has', () => {
    const variables = CONFIG_VARIABLES.map((v) => v.variable);
    const fields = CONFIG_VARIABLES.map((v) => v.field);
    expect(new Set(variables).size).toBe(variables.length);
    expect(new Set(fields).size).toBe(fields.length);
    for (const field of fields) expect(Object.keys(DEFAULT_CONFIG)).toContain(field);
  });

  it('mentions no variable in the docs that the server does not read', () => {
    const known = new Set<string>(CONFIG_VARIABLES.map((v) => v.variable));
    const mentioned = new Set(
      [...doc.matchAll(/`((?:VT_|TRANSLATION_|ERROR_|LOG_)[A-Z_]+|PORT|HOST)`/g)].map((m) => m[1]!),
    );
    expect([...mentioned].filter((name) => !known.has(name))).toEqual([]);
  });
});
