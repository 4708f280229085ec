// Builds the front-end bundles into app/static/build/ (git-ignored): `npm run build`.
//   modeler.js + modeler.css  – the bpmn-js modeler with the Fallwerk properties panel
//   viewer.js + viewer.css    – a NavigatedViewer exposed as window.FallwerkViewer
//   kern/kern.css + kern/fonts/ – the KERN UX stylesheet (@kern-ux/native, EUPL-1.2) with the
//                               Fira Sans weights we use (assets/kern.css), and its licence text
// ASSETS_OUTDIR overrides the output directory (default app/static/build), e.g. for a private
// build while testing.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(root, process.env.ASSETS_OUTDIR || 'app/static/build');

await esbuild.build({
  absWorkingDir: root,
  entryPoints: { modeler: 'assets/modeler.js', viewer: 'assets/viewer.js' },
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: '@bpmn-io/properties-panel/preact',
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: '[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
});

// KERN: one stylesheet; esbuild copies only the font files assets/kern.css names.
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { kern: 'assets/kern.css' },
  outdir: path.join(outdir, 'kern'),
  bundle: true,
  minify: true,
  loader: { '.woff2': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  logLevel: 'warning',
});
const kern = path.join(root, 'node_modules', '@kern-ux', 'native');
await mkdir(path.join(outdir, 'kern'), { recursive: true });
await copyFile(path.join(kern, 'LICENSE.md'), path.join(outdir, 'kern', 'LICENSE.md'));
console.log(`assets built into ${path.relative(root, outdir) || '.'}/`);
