// A CommonJS handler exercising what end-to-end tests check: payloads, the context object, errors, timeouts,
// crashes, oversized responses and the environment.
const KEYS = [
  '_HANDLER', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_LAMBDA_RUNTIME_API', 'TZ', 'LANG',
  '_X_AMZN_TRACE_ID', 'GREETING', 'EMPTY', 'SHLVL', 'AWS_NODEJS_CONNECTION_REUSE_ENABLED',
];

exports.handler = async (event, context) => {
  console.log('got event', JSON.stringify(event));
  switch (event.action) {
    case 'throw':
      throw new TypeError('bad input: ' + event.detail);
    case 'throwString':
      throw 'a plain string';
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      return { slept: event.ms, pid: process.pid };
    case 'waitFile':
      // Holds the environment until the test creates the file (a barrier across concurrent invocations).
      while (!require('fs').existsSync(event.path)) await new Promise((resolve) => setTimeout(resolve, 20));
      return { pid: process.pid };
    case 'exit':
      process.exit(3);
      break;
    case 'big':
      return 'x'.repeat(7 * 1024 * 1024);
    case 'multiline':
      console.log('first line\nsecond line');
      console.error('an error line');
      return 'logged';
    case 'env': {
      const env = {};
      for (const k of KEYS) env[k] = process.env[k] === undefined ? null : process.env[k];
      return { env, cwd: process.cwd() };
    }
    default:
      return {
        echo: event,
        requestId: context.awsRequestId,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        logGroupName: context.logGroupName,
        logStreamName: context.logStreamName,
        remaining: context.getRemainingTimeInMillis(),
        clientContext: context.clientContext || null,
        pid: process.pid,
      };
  }
};

// A callback handler: the answer goes out only once the event loop is empty (the timer has fired).
exports.callback = (event, context, callback) => {
  let fired = false;
  setTimeout(() => { fired = true; console.log('timer fired'); }, 100);
  callback(null, { callback: true, timerPending: !fired });
};

// callbackWaitsForEmptyEventLoop = false answers at once.
exports.noWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => {}, 2000);
  callback(null, 'answered early');
};

exports.nested = { deeper: { handler: async () => 'nested handler' } };
exports.notAFunction = 42;
