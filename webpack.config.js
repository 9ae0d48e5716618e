// Bundles the CLI into one file, dist/cli.js (ESM, like the sources). Native addons (keytar,
// NodeGui, node-mac-permissions) cannot be bundled: they stay external and load from
// node_modules at run time.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const here = dirname(fileURLToPath(import.meta.url));

export default {
  mode: 'production',
  target: 'node20',
  entry: { cli: './src/cli/main.ts' },
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
  },
  externalsType: 'module',
  externals: {
    keytar: 'module keytar',
    '@nodegui/nodegui': 'module @nodegui/nodegui',
    '@nodegui/react-nodegui': 'module @nodegui/react-nodegui',
    'node-mac-permissions': 'module node-mac-permissions',
  },
  optimization: { minimize: false },
  devtool: false,
  plugins: [new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true })],
  performance: { hints: false },
  stats: 'errors-warnings',
};
