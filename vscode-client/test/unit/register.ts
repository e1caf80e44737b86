// Makes `require('vscode')` load the stub: the real module only exists inside an extension host.
// Imported first by every test file.
import Module = require('module');

const stub = require.resolve('./vscode-stub');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mod = Module as any;
const original = mod._resolveFilename;
mod._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? stub : original.call(this, request, ...rest);
};
