import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const html = readFileSync(join(web, 'wwwroot', 'index.html'), 'utf8');
const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1]);
/** The packages the Web build copies to wwwroot/lib/otel (AspireChat.Web.csproj). */
const copied = /<OpenTelemetryPackage Include="([^"]+)"/.exec(readFileSync(join(web, 'AspireChat.Web.csproj'), 'utf8'))[1].split(';');

/** Where the build copies `./lib/otel/<package>/dist/...` from. */
function fileOf(url) {
  const match = /^\.\/lib\/otel\/([^/]+)\/(dist\/.+)$/.exec(url);
  assert.ok(match, `${url} is not under ./lib/otel/`);
  assert.ok(copied.includes(match[1]), `${match[1]} is mapped but not copied by the build`);
  return join(web, 'node_modules', '@opentelemetry', match[1], match[2]);
}

/** Resolves a specifier as the browser does with this import map, from the module at `from` (a ./lib URL). */
function resolve(specifier, from) {
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    return './' + posix.normalize(posix.join(posix.dirname(from), specifier));
  }
  for (const [scope, map] of Object.entries(importMap.scopes)) {
    if (from.startsWith(scope) && map[specifier]) {
      return map[specifier];
    }
  }
  const mapped = importMap.imports[specifier];
  assert.ok(mapped, `"${specifier}" (imported by ${from}) is not in the import map: the browser could not load it`);
  return mapped;
}

test('the import map resolves every module the OpenTelemetry SDK loads in the browser, from the files the build copies', () => {
  const entries = ['@opentelemetry/sdk-trace', '@opentelemetry/resources', '@opentelemetry/api', '@opentelemetry/exporter-trace-otlp-http'];
  const seen = new Set();
  const queue = entries.map((entry) => resolve(entry, './js/telemetry.js'));
  while (queue.length > 0) {
    const url = queue.pop();
    if (seen.has(url)) {
      continue;
    }
    seen.add(url);
    const file = fileOf(url);
    assert.ok(existsSync(file), `${url} (${file}) does not exist`);
    const source = readFileSync(file, 'utf8');
    for (const [, from, bare] of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']/g)) {
      queue.push(resolve(from ?? bare, url));
    }
  }
  assert.ok(seen.size > 50, `only ${seen.size} modules found: the walk missed the imports`);
});
