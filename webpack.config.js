// Bundles the CLI into dist/cli.js and the menu-bar app into dist/tray.js (ESM, like the sources). Native addons (keytar,
// NodeGui, node-mac-permissions) and packages that read files beside their code cannot be bundled: they stay external and load from
// node_modules at run time.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const here = dirname(fileURLToPath(import.meta.url));

export default {
  mode: 'production',
  target: 'node20',
  // cli: the praxis-backup command; tray: the menu-bar app (`npm start`), which loads the rest of
  // itself (and with it @nodegui) by a dynamic import only after the Qt runtime is prepared.
  entry: { cli: './src/cli/main.ts', tray: './src/tray/main.ts' },
  output: {
    path: resolve(here, 'dist'),
    filename: '[name].js',
    module: true,
    chunkFormat: 'module',
    clean: true,
  },
  experiments: { outputModule: true },
  resolve: { extensions: ['.ts', '.js', '.json'] },
  module: {
    rules: [{ test: /\.ts$/, loader: 'ts-loader', options: { transpileOnly: true }, exclude: /node_modules/ }],
    // import.meta stays as it is: the app finds docs/, assets/tray, build/native and dist/cli.js upwards
    // from import.meta.url, which must be where the bundle runs (/usr/lib/praxis-backup/dist in the
    // .deb). Webpack's default replaces it with the build machine's source path (file:///…/src/…).
    parser: { javascript: { importMeta: false } },
  },
  externalsType: 'module',
  externals: {
    keytar: 'module keytar',
    '@nodegui/nodegui': 'module @nodegui/nodegui',
    'node-mac-permissions': 'module node-mac-permissions',
    // pdfkit reads its font metrics and fontkit's tables from files beside its own code; nodemailer
    // loads transports by name. Bundled, both would look for those files inside dist/.
    pdfkit: 'module pdfkit',
    nodemailer: 'module nodemailer',
  },
  optimization: { minimize: false },
  devtool: false,
  plugins: [new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true })],
  performance: { hints: false },
  stats: 'errors-warnings',
};
