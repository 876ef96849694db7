// eddy's Node.js runtime: the program an eddy execution environment runs for nodejs* functions. It speaks the
// Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) and behaves as AWS's managed Node.js runtime does where a handler
// can tell: handler lookup (`dir/module.path.to.fn`; CommonJS, ES modules, .mjs/.cjs, node_modules), async and
// callback handlers (callbackWaitsForEmptyEventLoop), the context object, the error JSON posted for a failure
// (`errorType`, `errorMessage`, `trace`), and console lines formatted `<ISO time>\t<request id>\t<LEVEL>\t<msg>`
// (newlines inside a message become \r and the line starts with RS, so one message stays one log event). Written
// for eddy; shipped inside
// the eddy binary.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT || process.cwd();
const JSON_LOGS = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';

let currentRequestId = undefined;

// ---- logging -------------------------------------------------------------------------------------------------

function writeLine(level, args) {
  const message = util.format(...args);
  let line;
  if (JSON_LOGS) {
    line = JSON.stringify({ timestamp: new Date().toISOString(), level, requestId: currentRequestId, message });
  } else {
    line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message.replace(/\n/g, '\r')}`;
  }
  // RS marks a log record (one event, newlines restored) apart from what the handler prints itself.
  process.stdout.write('\x1e' + line + '\n');
}

console.log = (...args) => writeLine('INFO', args);
console.info = (...args) => writeLine('INFO', args);
console.warn = (...args) => writeLine('WARN', args);
console.error = (...args) => writeLine('ERROR', args);
console.debug = (...args) => writeLine('DEBUG', args);
console.trace = (...args) => writeLine('TRACE', args);
console.fatal = (...args) => writeLine('FATAL', args);

// ---- the Runtime API -----------------------------------------------------------------------------------------

function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: PORT, method, path: BASE + urlPath, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function nextInvocation() {
  const res = await call('GET', '/invocation/next');
  if (res.status !== 200) throw new Error(`Runtime API next returned ${res.status}: ${res.body}`);
  return res;
}

function post(urlPath, payload, headers = {}) {
  const body = Buffer.from(payload);
  return call('POST', urlPath, body, {
    'Content-Type': 'application/json',
    'Content-Length': body.length,
    ...headers,
  });
}

// ---- errors --------------------------------------------------------------------------------------------------

function namedError(name) {
  const cls = class extends Error {
    constructor(reason) {
      super(reason instanceof Error ? String(reason) : reason);
      this.name = name;
      if (reason instanceof Error && reason.stack) this.stack = `${name}: ${this.message}\n${reason.stack.split('\n').slice(1).join('\n')}`;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

const ImportModuleError = namedError('Runtime.ImportModuleError');
const HandlerNotFound = namedError('Runtime.HandlerNotFound');
const MalformedHandlerName = namedError('Runtime.MalformedHandlerName');
const UserCodeSyntaxError = namedError('Runtime.UserCodeSyntaxError');
const UnhandledPromiseRejection = namedError('Runtime.UnhandledPromiseRejection');

function isError(e) {
  return e instanceof Error || util.types.isNativeError(e) ||
    (e !== null && typeof e === 'object' && typeof e.name === 'string' && typeof e.message === 'string');
}

// The error JSON AWS's Node.js runtime posts.
function toRapidResponse(error) {
  try {
    if (isError(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_e) {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// What the runtime logs for a failure (`stack` rather than `trace`).
function toFormatted(error) {
  const r = toRapidResponse(error);
  return '\t' + JSON.stringify({ errorType: r.errorType, errorMessage: r.errorMessage, stack: r.trace });
}

// ---- handler loading -----------------------------------------------------------------------------------------

function isModulePackage(dir) {
  let current = dir;
  for (;;) {
    const pkg = path.join(current, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        return JSON.parse(fs.readFileSync(pkg, 'utf8')).type === 'module';
      } catch (_e) {
        return false;
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_e) {
    return false;
  }
}

async function loadModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  // Required from the runtime itself, so that a missing package's `Require stack` ends with the runtime, as on AWS.
  const require = createRequire(import.meta.url);
  try {
    if (isFile(base)) return require(base);
    if (isFile(base + '.js')) {
      if (isModulePackage(path.dirname(base))) return await import(pathToFileURL(base + '.js').href);
      return require(base + '.js');
    }
    if (isFile(base + '.mjs')) return await import(pathToFileURL(base + '.mjs').href);
    if (isFile(base + '.cjs')) return require(base + '.cjs');
    const resolved = require.resolve(moduleName, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] });
    return require(resolved);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) throw new ImportModuleError(e);
    throw e;
  }
}

async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(handlerString));
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;
  let app = await loadModule(appRoot, moduleRoot, moduleName);
  let fn = app;
  for (const part of handlerPath.split('.')) {
    fn = fn == null ? undefined : fn[part];
  }
  // An ES module's default export may hold a CommonJS-style object.
  if (fn === undefined && app && app.default && typeof app.default === 'object') {
    fn = app.default;
    for (const part of handlerPath.split('.')) fn = fn == null ? undefined : fn[part];
  }
  if (fn === undefined || fn === null) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return fn;
}

// ---- invocations ---------------------------------------------------------------------------------------------

let onFatal = null; // set while an invocation runs: uncaught errors fail it

process.on('uncaughtException', (error) => {
  console.error('Uncaught Exception', toFormatted(error));
  if (onFatal) onFatal(error);
  else process.exit(129);
});

process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(
    isError(reason) ? `${reason.name}: ${reason.message}` : String(reason),
  );
  console.error('Unhandled Promise Rejection', toFormatted(error));
  if (onFatal) onFatal(error);
  else process.exit(128);
});

function makeContext(headers, finish) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  let clientContext;
  if (headers['lambda-runtime-client-context']) {
    try {
      clientContext = JSON.parse(headers['lambda-runtime-client-context']);
    } catch (_e) { /* ignored, as AWS does */ }
  }
  let identity;
  if (headers['lambda-runtime-cognito-identity']) {
    try {
      identity = JSON.parse(headers['lambda-runtime-cognito-identity']);
    } catch (_e) { /* ignored */ }
  }
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity,
    clientContext,
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: (err, data) => finish(err, data, true),
    succeed: (data) => finish(null, data, true),
    fail: (err) => finish(err == null ? '[object Object]' : err, undefined, true),
  };
  return context;
}

async function runInvocation(handler, res) {
  const requestId = res.headers['lambda-runtime-aws-request-id'];
  currentRequestId = requestId;
  if (res.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = res.headers['lambda-runtime-trace-id'];
  else delete process.env._X_AMZN_TRACE_ID;

  const outcome = await new Promise((resolve) => {
    let settled = false;
    let context;
    const settle = (value) => {
      if (settled) return;
      settled = true;
      onFatal = null;
      resolve(value);
    };
    // The callback (and context.done/succeed/fail) answer after the event loop drains, unless the handler
    // set callbackWaitsForEmptyEventLoop = false.
    const finish = (err, data, viaCallback) => {
      if (settled) return;
      const value = err !== null && err !== undefined ? { error: err } : { result: data };
      if (viaCallback && context.callbackWaitsForEmptyEventLoop) {
        process.once('beforeExit', () => settle(value));
      } else {
        settle(value);
      }
    };
    context = makeContext(res.headers, finish);
    onFatal = (error) => settle({ error, fatal: true });
    let event;
    try {
      event = JSON.parse(res.body.toString('utf8'));
    } catch (e) {
      settle({ error: e });
      return;
    }
    try {
      const returned = handler(event, context, (err, data) => finish(err, data, true));
      if (returned && typeof returned.then === 'function') {
        returned.then((data) => finish(null, data, false), (err) => finish(err === undefined ? 'undefined' : err, undefined, false));
      } else if (handler.length < 3) {
        // A synchronous handler that takes no callback: its answer is null once the event loop drains.
        process.once('beforeExit', () => settle({ result: returned === undefined ? null : returned }));
      }
    } catch (e) {
      settle({ error: e });
    }
  });

  if ('error' in outcome) {
    const body = toRapidResponse(outcome.error);
    if (!outcome.fatal) console.error('Invoke Error', toFormatted(outcome.error));
    await post(`/invocation/${requestId}/error`, JSON.stringify(body), {
      'Lambda-Runtime-Function-Error-Type': String(body.errorType),
    });
    if (outcome.fatal) process.exit(129);
  } else {
    let payload;
    try {
      payload = JSON.stringify(outcome.result === undefined ? null : outcome.result);
    } catch (e) {
      const body = { errorType: 'Runtime.MarshalError', errorMessage: `Unable to stringify response body: ${e.message}`, trace: [] };
      await post(`/invocation/${requestId}/error`, JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
      return;
    }
    await post(`/invocation/${requestId}/response`, payload === undefined ? 'null' : payload);
  }
}

async function main() {
  let handler;
  try {
    handler = await loadHandler(TASK_ROOT, process.env._HANDLER || '');
  } catch (e) {
    console.error('Init Error', toFormatted(e));
    const body = toRapidResponse(e);
    await post('/init/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': String(body.errorType) });
    process.exit(1);
  }
  for (;;) {
    const res = await nextInvocation();
    await runInvocation(handler, res);
  }
}

main().catch((e) => {
  process.stderr.write(`eddy runtime: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
