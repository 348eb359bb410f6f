/**
 * Other people's tooling gets the truth from the API description: a client generated from it
 * (`openapi-typescript` + `openapi-fetch`) compiles a create → wait → list round trip under strict
 * settings and runs it against a live server; and the hand-written `@vtrans/client` agrees with
 * the server on what a job is.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { JobSchema } from '../src/schemas/job.js';
import {
  clientTypes,
  GENERATED_FOR,
  GENERATED_KEY,
  SCHEMA_FILE,
} from './openapi-client/generate.js';
import { roundTrip } from './openapi-client/round-trip.js';
import { buildTestApp, startTestServer } from './helpers/server.js';

const ROUND_TRIP = fileURLToPath(new URL('./openapi-client/round-trip.ts', import.meta.url));
const CLIENT_JOB = fileURLToPath(new URL('../../client/src/types/job.ts', import.meta.url));

/** Strict settings, as a consumer with a careful tsconfig has them. */
const STRICT: ts.CompilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
};

describe('a client generated from the API description', () => {
  it('is generated from the document as it is now (the committed types are current)', async () => {
    const { app } = await buildTestApp(GENERATED_FOR);
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<object>();
    const current = await clientTypes(document);
    expect(
      readFileSync(SCHEMA_FILE, 'utf8') === current,
      'schema.d.ts is stale: run `npm run openapi:client-types` and commit it',
    ).toBe(true);
  });

  it('type-checks a create → wait → list round trip under strict settings', () => {
    const program = ts.createProgram([ROUND_TRIP], STRICT);
    // The generated types and openapi-fetch were both resolved, so the check means something.
    expect(program.getSourceFile(SCHEMA_FILE)).toBeDefined();
    expect(program.getSourceFiles().some((f) => f.fileName.includes('openapi-fetch'))).toBe(true);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName}:${d.start ?? 0}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it('runs that round trip against a live server', async () => {
    const srv = await startTestServer({ apiKeys: [GENERATED_KEY] });
    const { created, polls, finished, listed } = await roundTrip(srv.url, GENERATED_KEY.key);
    expect(created).toMatchObject({ status: 'pending', target_language: 'fr', version: 1 });
    expect(finished).toMatchObject({ id: created.id, status: 'completed', version: 2 });
    // Held polls answer 304 while the job has not changed, then 200 with the change.
    expect(polls.at(-1)).toBe(200);
    expect(polls.slice(0, -1).every((s) => s === 304)).toBe(true);
    expect(listed.map((j) => j.id)).toContain(created.id);
  });
});

interface FieldShape {
  name: string;
  optional: boolean;
  nullable: boolean;
}

/** The fields of `@vtrans/client`'s `Job` interface, read by the TypeScript compiler. */
function clientJobFields(): FieldShape[] {
  const program = ts.createProgram([CLIENT_JOB], { ...STRICT, lib: ['lib.es2023.d.ts'] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(CLIENT_JOB);
  const job = source?.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Job',
  );
  if (!job) throw new Error(`no interface Job in ${CLIENT_JOB}`);
  return checker
    .getTypeAtLocation(job)
    .getProperties()
    .map((symbol) => {
      const type = checker.getTypeOfSymbol(symbol);
      const parts = type.isUnion() ? type.types : [type];
      return {
        name: symbol.name,
        optional: (symbol.flags & ts.SymbolFlags.Optional) !== 0,
        nullable: parts.some((t) => (t.flags & ts.TypeFlags.Null) !== 0),
      };
    });
}

/** The fields of the server's `Job` schema (the one the document's component is made of). */
function serverJobFields(): FieldShape[] {
  const schema = JobSchema as unknown as {
    properties: Record<string, { type?: string | string[]; enum?: unknown[] }>;
    required?: string[];
  };
  return Object.entries(schema.properties).map(([name, field]) => ({
    name,
    optional: !(schema.required ?? []).includes(name),
    nullable:
      (Array.isArray(field.type) && field.type.includes('null')) ||
      (field.enum ?? []).includes(null),
  }));
}

describe("@vtrans/client's Job", () => {
  it("has the same fields as the server's Job schema, each as optional and as nullable", () => {
    const byName = (a: FieldShape, b: FieldShape) => a.name.localeCompare(b.name);
    const client = clientJobFields().sort(byName);
    expect(client.length).toBeGreaterThan(10);
    expect(client).toEqual(serverJobFields().sort(byName));
  });
});
