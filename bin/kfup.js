#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ and bundled into dist/bundle/ (scripts/bundle.js)
// by `npm ci` through the prepare script. With --debug, stack traces name src/...ts:line: the
// bundle's source maps are read (only then: reading them costs start-up time).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// On Node 20 the AWS SDK prints a NodeVersionSupportWarning on every run (its releases after
// January 2027 need Node 22). kfup supports Node >=20.19 and its README says which versions it is
// tested on; users' stderr stays clean with the SDK's documented switch (aws/aws-sdk-js-v3#7983).
// A value the user set is left as it is.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import('../dist/bundle/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bundle/cli.js')) {
    process.stderr.write('kfup: the CLI is not built yet. Run `npm ci` (or `npm run build`) in the kfup directory first.\n');
    process.exit(2);
  }
  throw err;
});
