#!/usr/bin/env node
// Bundles the CLI and the server with esbuild into dist/ (no decorators are used, so esbuild's lack of
// decorator metadata does not matter). Workspace libraries are bundled; npm packages stay external.
// `ensureBuilt()` rebuilds only when a source file is newer than the bundle.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const ENTRIES = {
  'apps/cli/main': 'apps/cli/src/main.ts',
  'apps/server/main': 'apps/server/src/main.ts',
  'apps/server/source-thread': 'apps/server/src/sources/source-thread.ts',
};
const SOURCE_DIRS = ['apps', 'libs'];

const workspaceLibs = {
  name: 'workspace-libs',
  setup(build) {
    build.onResolve({ filter: /^@test-agent\// }, (args) => {
      const [, lib, sub] = args.path.match(/^@test-agent\/([^/]+)(?:\/(.+))?$/);
      return { path: path.join(root, 'libs', lib, 'src', `${sub ?? 'index'}.ts`) };
    });
  },
};

function newestSourceMtime() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === '__fixtures__') continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
        newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(root, d));
  return newest;
}

function isFresh() {
  return Object.keys(ENTRIES).every((out) => {
    const file = path.join(root, 'dist', `${out}.js`);
    return fs.existsSync(file) && fs.statSync(file).mtimeMs >= newestSourceMtime();
  });
}

async function buildAsync() {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([out, src]) => [out, path.join(root, src)])),
    outdir: path.join(root, 'dist'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    packages: 'external',
    plugins: [workspaceLibs],
    logLevel: 'warning',
  });
}

/** Whether esbuild is installed (a production install without devDependencies has only the prebuilt dist/). */
function canBuild() {
  try {
    require.resolve('esbuild');
    return true;
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    return false;
  }
}

async function ensureBuilt() {
  if (isFresh()) return;
  if (canBuild()) return buildAsync();
  const missing = Object.keys(ENTRIES).filter((out) => !fs.existsSync(path.join(root, 'dist', `${out}.js`)));
  if (missing.length > 0)
    throw new Error(
      `dist/ is missing ${missing.join(', ')} and esbuild is not installed: run "npm ci" (with dev dependencies) or "npm run build"`,
    );
}

module.exports = { ensureBuilt, buildAsync, root };

if (require.main === module) {
  buildAsync().then(
    () => process.stdout.write('built dist/apps/cli/main.js and dist/apps/server/main.js\n'),
    (e) => {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    },
  );
}
