// Fails when src/api/schema.d.ts is stale: regenerates it from openapi.json into a temp file and compares.
// Refresh openapi.json first with `.venv/bin/python scripts/openapi.py` (from the repo root).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'omnistock-api-'));
const fresh = join(dir, 'schema.d.ts');
try {
  execFileSync(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', 'openapi.json', '-o', fresh], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let current = '';
  try {
    current = readFileSync('src/api/schema.d.ts', 'utf8');
  } catch {
    current = '';
  }
  if (readFileSync(fresh, 'utf8') !== current) {
    console.error(
      'check:api FAILED: web/src/api/schema.d.ts is stale (it does not match web/openapi.json).\n' +
        'Fix: .venv/bin/python scripts/openapi.py && (cd web && npm run gen:api), then commit both files.',
    );
    process.exit(1);
  }
  console.log('check:api OK: src/api/schema.d.ts matches openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
