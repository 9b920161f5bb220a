// An API Gateway HTTP API (payload format 2.0) in front of a Lambda function's code directory, for
// the end-to-end tests of the deployed artifact (packages/infra) and the cold-start benchmark. Run
// in a fresh Node process:
//
//   node lambda-shim.mjs <code directory> <handler, e.g. index.handler> <stage> <timeout seconds> [iam]
//
// with the function's environment; `iam` is JSON `{"routes": ["POST /write", …], "region": …,
// "callers": {"<access key id>": "<secret access key>"}}` naming the routes deployed with
// AuthorizationType AWS_IAM and the keys allowed to call them (iam-authorizer.mjs checks them). It listens on 127.0.0.1 (a free port), prints one JSON line
// `{"url": …}` on stdout, and then behaves as the deployed pair would:
// - routes `POST /<stage>/write` and `POST /<stage>/read` (route keys `POST /write`, `POST /read`);
//   anything else is answered 404 `{"message":"Not Found"}` without invoking the function;
// - on an IAM route, a request without a valid SigV4 signature is answered 403 as API Gateway
//   answers it, without invoking the function; an authorized one reaches it with the caller in
//   `requestContext.authorizer.iam`;
// - each invocation gets an API Gateway v2 event (lower-case headers, rawPath with the stage, body
//   base64) and a context with the function's remaining time;
// - like Lambda, a container (an instance of the handler module) handles one event at a time; a
//   new container starts (cold) when every container is busy, up to a limit, and containers are
//   reused warm afterwards;
// - a thrown error or a rejected promise is answered 500 `{"message":"Internal Server Error"}`,
//   a timeout 503 (and the container is discarded, as Lambda resets a timed-out sandbox), an event
//   or a response over Lambda's 6 MB payload limit 413 or 500; the result's `isBase64Encoded`
//   body is decoded.
// `GET /__shim/invocations` answers `{"<route key> <status>": count}` for the test's metrics;
// `GET /__shim/authorizer` answers `{"rejected": {"<route key> <error type>": count},
// "signedHeaders": {"<user agent>": [every header name its accepted signatures covered]}}`.
// Built-ins are taken with getBuiltinModule, not imported: an ES import of node:http builds its
// module namespace, which reads its lazy exports and loads undici (~30 ms), and the cold-start
// bench counts the shim's own start, which is none of the function's.
const { randomUUID } = process.getBuiltinModule('node:crypto');
const { createServer } = process.getBuiltinModule('node:http');
const { join } = process.getBuiltinModule('node:path');
const { pathToFileURL } = process.getBuiltinModule('node:url');

const [codeDirectory, handlerName = 'index.handler', stage = 'dev', timeoutSeconds = '30', iamJson] =
  process.argv.slice(2);
if (codeDirectory === undefined) {
  process.stderr.write('usage: node lambda-shim.mjs <code directory> [handler] [stage] [timeout s]\n');
  process.exit(2);
}
const ROUTE_KEYS = new Set(['POST /write', 'POST /read']);
const iam = iamJson === undefined ? { routes: [], region: 'us-east-1', callers: {} } : JSON.parse(iamJson);
const IAM_ROUTES = new Set(iam.routes);
// The signer (the AWS SDK's) is loaded only for a deployment with IAM routes: it takes longer to
// load than the rest of the shim, and the cold-start bench, which has none, counts the shim's start.
const authorizer =
  IAM_ROUTES.size === 0
    ? undefined
    : (await import('./iam-authorizer.mjs')).createIamAuthorizer({
        region: iam.region,
        callers: iam.callers,
      });
const rejected = {};
const MAX_CONTAINERS = 8;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit
const MAX_EVENT_BYTES = 6 * 1024 * 1024; // Lambda's synchronous invocation payload limit (the event, base64 body included)
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024; // Lambda's synchronous response limit
const timeoutMs = Number(timeoutSeconds) * 1000;
const [moduleName, exportName] = [
  handlerName.slice(0, handlerName.lastIndexOf('.')),
  handlerName.slice(handlerName.lastIndexOf('.') + 1),
];
const moduleUrl = pathToFileURL(join(codeDirectory, `${moduleName}.mjs`)).href;

const shimLog = (message) => process.stderr.write(`[lambda-shim] ${message}\n`);

// The shim runs on this machine's Node, which may be older than the function's runtime (Lambda
// runs it on nodejs24.x); the AWS SDK's warning about the host's Node version is not the
// function's, and would read as a warning it logged. Every other warning still shows.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning?.message ?? warning).includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

/** @type {{ busy: boolean, handler: Promise<Function> }[]} */
const containers = [];
/** @type {((container: object) => void)[]} */
const waiting = [];
const invocations = {};

// A distinct module URL per container gives each its own module instance: its own state.
const startContainer = () => {
  const number = containers.length + 1;
  const handler = import(`${moduleUrl}?container=${number}`).then((module) => {
    if (typeof module[exportName] !== 'function') throw new Error(`${handlerName} is not a function`);
    return module[exportName];
  });
  const container = { busy: true, handler };
  containers.push(container);
  return container;
};

const acquire = () => {
  const idle = containers.find((container) => !container.busy);
  if (idle !== undefined) {
    idle.busy = true;
    return Promise.resolve(idle);
  }
  if (containers.length < MAX_CONTAINERS) return Promise.resolve(startContainer());
  return new Promise((resolve) => waiting.push(resolve));
};

const release = (container) => {
  const next = waiting.shift();
  if (next !== undefined) next(container);
  else container.busy = false;
};

const json = (status, body) => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const invoke = async (event) => {
  if (JSON.stringify(event).length > MAX_EVENT_BYTES) {
    shimLog('request payload exceeded the 6 MB invocation limit');
    return json(413, { message: 'Request Entity Too Large' });
  }
  const container = await acquire();
  const deadline = Date.now() + timeoutMs;
  let timer;
  let timedOutContainer = false;
  try {
    const handler = await container.handler;
    const context = {
      awsRequestId: randomUUID(),
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'connector',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([handler(event, context), timedOut]);
    if (result === 'timeout') {
      timedOutContainer = true;
      shimLog(`invocation timed out after ${timeoutMs} ms`);
      return json(503, { message: 'Service Unavailable' });
    }
    if (JSON.stringify(result).length > MAX_RESPONSE_BYTES) {
      shimLog('response payload exceeded the 6 MB limit');
      return json(500, { message: 'Internal Server Error' });
    }
    const body =
      result.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    return { status: result.statusCode, headers: result.headers ?? {}, body };
  } catch (error) {
    shimLog(`invocation failed: ${error?.stack ?? error}`);
    return json(500, { message: 'Internal Server Error' });
  } finally {
    clearTimeout(timer);
    if (timedOutContainer) {
      containers.splice(containers.indexOf(container), 1);
      // A waiting event gets a new container in its place.
      const next = waiting.shift();
      if (next !== undefined) next(startContainer());
    } else release(container);
  }
};

const eventFor = (request, url, routeKey, body, caller) => {
  const headers = {};
  for (const [name, value] of Object.entries(request.headers))
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'shim',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'shim',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage,
      // What an HTTP API passes for a caller its IAM authorization accepted.
      ...(caller === undefined
        ? {}
        : {
            authorizer: {
              iam: {
                accessKey: caller.accessKeyId,
                accountId: '123456789012',
                callerId: caller.accessKeyId,
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: `arn:aws:iam::123456789012:user/${caller.accessKeyId}`,
                userId: caller.accessKeyId,
              },
            },
          }),
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
};

const server = createServer((request, response) => {
  const chunks = [];
  let size = 0;
  request.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  });
  request.on('end', async () => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let answer;
    if (request.method === 'GET' && url.pathname === '/__shim/invocations') answer = json(200, invocations);
    else if (request.method === 'GET' && url.pathname === '/__shim/authorizer')
      answer = json(200, { rejected, signedHeaders: authorizer?.signedHeadersSeen() ?? {} });
    else {
      const prefix = `/${stage}`;
      const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
      const routeKey = `${request.method} ${path}`;
      if (path === undefined || !ROUTE_KEYS.has(routeKey)) answer = json(404, { message: 'Not Found' });
      else if (size > MAX_REQUEST_BYTES) answer = json(413, { message: 'Request Entity Too Large' });
      else {
        const body = Buffer.concat(chunks);
        const { denied, caller } = IAM_ROUTES.has(routeKey)
          ? await authorizer.authorize({ method: request.method, url, headers: request.headers, body })
          : {};
        if (denied !== undefined) {
          const key = `${routeKey} ${denied.headers['x-amzn-errortype'] ?? 'Forbidden'}`;
          rejected[key] = (rejected[key] ?? 0) + 1;
          response.writeHead(denied.status, denied.headers);
          response.end(denied.body);
          return;
        }
        answer = await invoke(eventFor(request, url, routeKey, body, caller));
        const key = `${routeKey} ${answer.status}`;
        invocations[key] = (invocations[key] ?? 0) + 1;
      }
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
