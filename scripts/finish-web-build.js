// After `vite build`, two things for what the server publishes from dist/web:
// - source maps move out to dist/web-sourcemaps: kept to decode a stack trace, never served (the
//   static plugin registers a route for every file under its root);
// - a Brotli (.br) and a gzip (.gz) copy beside every text asset, which the server sends to
//   browsers that accept them (@fastify/static's `preCompressed`). Compressing once at build time
//   costs the server nothing per request, and the 520 KB script goes out as ~150 KB. Node's own
//   zlib: no dependency.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(import.meta.dirname, '../dist/web');
const mapsDir = path.resolve(import.meta.dirname, '../dist/web-sourcemaps');
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);
/** Below this, the headers outweigh what compression saves. */
const MIN_BYTES = 1024;

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(file);
    else yield file;
  }
}

fs.rmSync(mapsDir, { recursive: true, force: true });
for (const file of [...files(root)]) {
  if (!file.endsWith('.map')) continue;
  const target = path.join(mapsDir, path.relative(root, file));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.renameSync(file, target);
}

let written = 0;
for (const file of files(root)) {
  if (!COMPRESSIBLE.has(path.extname(file))) continue;
  const body = fs.readFileSync(file);
  if (body.length < MIN_BYTES) continue;
  const brotli = zlib.brotliCompressSync(body, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  fs.writeFileSync(`${file}.br`, brotli);
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: zlib.constants.Z_BEST_COMPRESSION }));
  written++;
}
if (written === 0) {
  process.stderr.write(`finish-web-build: nothing to compress in ${root} (did vite build run?)\n`);
  process.exitCode = 1;
}
