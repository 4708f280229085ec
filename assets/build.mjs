// Builds the front-end bundles into app/static/build/ (git-ignored): `npm run build`.
//   modeler.js + modeler.css  – the bpmn-js modeler with the Fallwerk properties panel
//   viewer.js + viewer.css    – a NavigatedViewer exposed as window.FallwerkViewer
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await esbuild.build({
  absWorkingDir: root,
  entryPoints: { modeler: 'assets/modeler.js', viewer: 'assets/viewer.js' },
  outdir: 'app/static/build',
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
console.log('assets built into app/static/build/');
