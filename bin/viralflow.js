#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/src/cli');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    console.error('viralflow is not built yet: run `npm run build` (or `npm ci`) in the project folder first.');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv).catch((err) => {
  console.error(`viralflow: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
