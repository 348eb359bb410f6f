/**
 * Rewrites the types a generated client sees (`packages/server/test/openapi-client/schema.d.ts`)
 * from the server's API description. Run after changing a route's schema: `npm run openapi:client-types`.
 */
import { writeFileSync } from 'node:fs';
import { clientTypes, generatedForDocument, SCHEMA_FILE } from './generate.js';

writeFileSync(SCHEMA_FILE, await clientTypes(await generatedForDocument()));
console.log(`wrote ${SCHEMA_FILE}`);
