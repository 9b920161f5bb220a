/**
 * The HTTP front end: AWS JSON 1.0 on `POST /` for both the write and the query service
 * (dispatched on `X-Amz-Target`), and an admin API under `/__admin/` for faults and metering.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TimestreamError } from './errors.js';
import { type FaultRule, type FaultSettings, faultsFor, parseFaultRule } from './faults.js';
import { QueryService } from './query.js';
import type { TimestreamStore } from './store.js';

const TARGET_PREFIX = 'Timestream_20181101.';
/** Largest request body read; a full WriteRecords batch is a few hundred KB. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const RECENT_REQUESTS = 1000;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export interface ServerOptions {
  readonly faults: FaultSettings;
  readonly emptyFirstPage: boolean;
  readonly pageRows?: number | undefined;
  readonly logLevel: LogLevel;
}

export interface RecentRequest {
  readonly operation: string;
  /** The access key id of the request's SigV4 credential scope. */
  readonly accessKeyId: string | undefined;
  readonly status: number;
}

export interface Metering {
  readonly requests: Record<string, number>;
  readonly accessKeys: Record<string, number>;
  readonly faults: { throttled: number; errors: number };
  readonly writes: {
    calls: number;
    recordsIngested: number;
    recordsRejected: number;
    rejectedByReason: Record<string, number>;
    /**
     * 1 KiB write units: each call's write size (`writeBytes` of that call) rounded up to the
     * next KiB, as AWS meters writes.
     */
    writeUnits: number;
    /**
     * Write sizes summed over calls: per call, CommonAttributes' dimensions and measure name once
     * plus each ingested record's own fields (8 B time, dimensions, measure name, value).
     */
    writeBytes: number;
    /** The ingested records' full sizes, CommonAttributes merged into each (what storage holds). */
    bytesIngested: number;
  };
  readonly queries: { queries: number; bytesScanned: number; bytesMetered: number };
}

const newMetering = (queries: QueryService): Metering => ({
  requests: {},
  accessKeys: {},
  faults: { throttled: 0, errors: 0 },
  writes: {
    calls: 0,
    recordsIngested: 0,
    recordsRejected: 0,
    rejectedByReason: {},
    writeUnits: 0,
    writeBytes: 0,
    bytesIngested: 0,
  },
  queries: queries.metering,
});

/** The access key id from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, …`. */
export const accessKeyIdOf = (authorization: string | undefined): string | undefined =>
  authorization?.match(/Credential=([^/,\s]+)\//)?.[1];

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new TimestreamError('ValidationException', `Request body exceeds ${MAX_BODY_BYTES} bytes.`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

// Unref'd: an injected delay must not keep a stopped emulator's process alive.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export class EmulatorServer {
  private readonly queries: QueryService;
  private metering: Metering;
  private readonly recent: RecentRequest[] = [];
  private rules: FaultRule[] = [];
  private readonly http: Server;
  /** Requests still being handled: the store must outlive them. */
  private readonly inFlight = new Set<Promise<void>>();

  public constructor(
    private readonly store: TimestreamStore,
    private readonly options: ServerOptions,
  ) {
    this.queries = new QueryService(store, {
      emptyFirstPage: options.emptyFirstPage,
      pageRows: options.pageRows,
    });
    this.metering = newMetering(this.queries);
    this.http = createServer((request, response) => {
      const handled = this.handle(request, response).catch((error: unknown) => {
        this.log('error', `unhandled: ${error instanceof Error ? error.stack : String(error)}`);
        if (!response.headersSent)
          this.send(response, 500, new TimestreamError('InternalServerException', 'Internal error').toBody());
      });
      this.inFlight.add(handled);
      void handled.finally(() => this.inFlight.delete(handled));
    });
  }

  public listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve(this.http.address() as AddressInfo));
    });
  }

  /** Stops listening, drops the connections, and resolves once every request being handled is done. */
  public async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    await Promise.allSettled([...this.inFlight]);
  }

  /** Requests seen, newest last (at most 1000), with the access key each was signed with. */
  public get requests(): readonly RecentRequest[] {
    return this.recent;
  }

  public get currentMetering(): Metering {
    return this.metering;
  }

  public setFault(rule: FaultRule): void {
    this.rules.push(rule);
  }

  public clearFaults(): void {
    this.rules = [];
  }

  public resetMetering(): void {
    this.queries.metering.queries = 0;
    this.queries.metering.bytesScanned = 0;
    this.queries.metering.bytesMetered = 0;
    this.metering = newMetering(this.queries);
    this.recent.length = 0;
  }

  private log(level: LogLevel, message: string): void {
    if (LEVELS.indexOf(level) <= LEVELS.indexOf(this.options.logLevel)) {
      process.stderr.write(`timestream-local ${level}: ${message}\n`);
    }
  }

  private send(
    response: ServerResponse,
    status: number,
    body: unknown,
    contentType = 'application/x-amz-json-1.0',
  ): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(text);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    if (url.startsWith('/__admin/')) {
      await this.handleAdmin(request, response, url);
      return;
    }
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    const accessKeyId = accessKeyIdOf(request.headers.authorization);
    let status = 200;
    try {
      if (request.method !== 'POST' || url.split('?')[0] !== '/') {
        throw new TimestreamError(
          'UnknownOperationException',
          `Only POST / is served; got ${request.method} ${url}.`,
        );
      }
      if (accessKeyId === undefined) {
        throw new TimestreamError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      const raw = await readBody(request);
      let body: Record<string, unknown>;
      try {
        const parsed = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        throw new TimestreamError('SerializationException', 'The request body is not a JSON object.');
      }
      this.metering.requests[operation] = (this.metering.requests[operation] ?? 0) + 1;
      this.metering.accessKeys[accessKeyId] = (this.metering.accessKeys[accessKeyId] ?? 0) + 1;
      const result = await this.withFaults(operation, () =>
        this.dispatch(operation, body, request.headers.host),
      );
      this.send(response, 200, result);
    } catch (error) {
      const failure =
        error instanceof TimestreamError
          ? error
          : new TimestreamError('InternalServerException', 'Internal error');
      if (!(error instanceof TimestreamError))
        this.log('error', `${operation}: ${error instanceof Error ? error.stack : String(error)}`);
      status = failure.status;
      this.send(response, failure.status, failure.toBody());
    } finally {
      this.recent.push({ operation, accessKeyId, status });
      if (this.recent.length > RECENT_REQUESTS) this.recent.shift();
      this.log('debug', `${operation || url} ${status} key=${accessKeyId ?? '-'}`);
    }
  }

  /**
   * Runs the call under the faults that apply to it. An injected latency is the time from the
   * call's arrival to its answer, as the service's is: the call's work runs at once and only the
   * rest of the delay is waited after it. Waiting first and working after made N calls arriving
   * together answer after the latency plus N calls' work one after another (the store serialises
   * writes), so a benchmark at a given latency measured the emulator's queue as much as the client.
   * A call answered with an injected throttle or error does no work and waits the whole delay.
   */
  private async withFaults<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const arrived = performance.now();
    const faults = faultsFor(this.rules, this.options.faults, operation, this.store.now());
    try {
      this.injectErrors(operation, faults);
      return await work();
    } finally {
      const rest = faults.latencyMs - (performance.now() - arrived);
      if (rest > 0) await sleep(rest);
    }
  }

  private injectErrors(operation: string, faults: FaultSettings): void {
    if (operation === 'DescribeEndpoints') return;
    if (faults.throttleRate > 0 && Math.random() < faults.throttleRate) {
      this.metering.faults.throttled++;
      throw new TimestreamError('ThrottlingException', 'Rate exceeded');
    }
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      this.metering.faults.errors++;
      throw new TimestreamError('InternalServerException', 'Injected internal error');
    }
  }

  private async dispatch(
    operation: string,
    body: Record<string, unknown>,
    host: string | undefined,
  ): Promise<unknown> {
    const store = this.store;
    switch (operation) {
      case 'DescribeEndpoints':
        // The JS SDK replaces only the hostname with Address, keeping scheme and port, so the
        // address must be the bare host the client reached us on. botocore (the AWS CLI, boto3)
        // sends to `https://<Address>` instead (an Address starting with `http` it takes whole,
        // but the JS SDK then fails), so it reaches the emulator only with `--endpoint-url`,
        // with which it skips discovery.
        return { Endpoints: [{ Address: bareHost(host), CachePeriodInMinutes: 1440 }] };
      case 'CreateDatabase':
        return { Database: store.createDatabase(body.DatabaseName, body.KmsKeyId) };
      case 'DescribeDatabase':
        return { Database: store.describeDatabase(body.DatabaseName) };
      case 'UpdateDatabase':
        return { Database: store.updateDatabase(body.DatabaseName, body.KmsKeyId) };
      case 'ListDatabases':
        return paginate(store.listDatabases(), body, 'Databases');
      case 'DeleteDatabase':
        store.deleteDatabase(body.DatabaseName);
        return {};
      case 'CreateTable':
        return { Table: await store.createTable(body) };
      case 'DescribeTable':
        return { Table: store.describeTable(body.DatabaseName, body.TableName) };
      case 'UpdateTable':
        return { Table: store.updateTable(body) };
      case 'ListTables':
        return paginate(store.listTables(body.DatabaseName), body, 'Tables');
      case 'DeleteTable':
        await store.deleteTable(body.DatabaseName, body.TableName);
        return {};
      case 'WriteRecords':
        return this.writeRecords(body);
      case 'Query':
        return this.queries.query(body);
      case 'CancelQuery':
        return this.queries.cancelQuery(body);
      case 'ListTagsForResource':
        return { Tags: [] };
      case 'TagResource':
      case 'UntagResource':
        return {};
      default:
        throw new TimestreamError(
          'UnknownOperationException',
          `Operation ${operation || '(none)'} is not supported by timestream-local.`,
        );
    }
  }

  private async writeRecords(body: Record<string, unknown>): Promise<unknown> {
    const outcome = await this.store.writeRecords(body);
    const writes = this.metering.writes;
    writes.calls++;
    writes.recordsIngested += outcome.ingested;
    writes.recordsRejected += outcome.rejected.length;
    writes.bytesIngested += outcome.bytes;
    writes.writeBytes += outcome.writeBytes;
    writes.writeUnits += Math.ceil(outcome.writeBytes / 1024);
    for (const r of outcome.rejected)
      writes.rejectedByReason[r.category] = (writes.rejectedByReason[r.category] ?? 0) + 1;
    if (outcome.rejected.length > 0) {
      // The AWS CLI prints only the exception's message, not RejectedRecords; the log says why.
      this.log('warn', rejectionSummary(body, outcome.ingested, outcome.rejected));
      throw new TimestreamError(
        'RejectedRecordsException',
        'One or more records have been rejected. See RejectedRecords for details.',
        outcome.rejected.map((r) => ({
          RecordIndex: r.index,
          Reason: r.reason,
          ...(r.existingVersion === undefined ? {} : { ExistingVersion: r.existingVersion }),
        })),
      );
    }
    return { RecordsIngested: { Total: outcome.ingested, MemoryStore: outcome.ingested, MagneticStore: 0 } };
  }

  private async handleAdmin(request: IncomingMessage, response: ServerResponse, url: string): Promise<void> {
    const path = url.split('?')[0];
    const json = 'application/json';
    try {
      if (path === '/__admin/faults' && request.method === 'POST') {
        const raw = await readBody(request);
        const rule = parseFaultRule(JSON.parse(raw.toString('utf8') || '{}'), this.store.now());
        this.setFault(rule);
        this.send(response, 200, { rules: this.rules }, json);
      } else if (path === '/__admin/faults' && request.method === 'DELETE') {
        this.clearFaults();
        this.send(response, 200, { rules: [] }, json);
      } else if (path === '/__admin/faults' && request.method === 'GET') {
        this.send(response, 200, { defaults: this.options.faults, rules: this.rules }, json);
      } else if (path === '/__admin/metering' && request.method === 'GET') {
        this.send(response, 200, this.metering, json);
      } else if (path === '/__admin/metering' && request.method === 'DELETE') {
        this.resetMetering();
        this.send(response, 200, this.metering, json);
      } else if (path === '/__admin/requests' && request.method === 'GET') {
        this.send(response, 200, { requests: this.recent }, json);
      } else {
        this.send(response, 404, { message: `no admin route ${request.method} ${path}` }, json);
      }
    } catch (error) {
      this.send(response, 400, { message: error instanceof Error ? error.message : String(error) }, json);
    }
  }
}

/**
 * One line per call, records grouped by reason: `WriteRecords db.table: rejected 2 of 3 records:
 * records 0, 2: <reason>`.
 */
const rejectionSummary = (
  body: Record<string, unknown>,
  ingested: number,
  rejected: readonly { readonly index: number; readonly reason: string }[],
): string => {
  const byReason = new Map<string, number[]>();
  for (const { index, reason } of rejected) byReason.set(reason, [...(byReason.get(reason) ?? []), index]);
  const reasons = [...byReason].map(
    ([reason, indexes]) => `${indexes.length === 1 ? 'record' : 'records'} ${indexes.join(', ')}: ${reason}`,
  );
  const total = ingested + rejected.length;
  return `WriteRecords ${String(body.DatabaseName)}.${String(body.TableName)}: rejected ${rejected.length} of ${total} ${total === 1 ? 'record' : 'records'}: ${reasons.join('; ')}`;
};

/** The Host header without its port (IPv6 brackets kept). */
const bareHost = (host: string | undefined): string => {
  if (host === undefined || host === '') return 'localhost';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0] ?? host;
};

/** List operations: MaxResults and NextToken as an offset. */
const paginate = (
  items: readonly unknown[],
  body: Record<string, unknown>,
  key: string,
): Record<string, unknown> => {
  const start = typeof body.NextToken === 'string' ? Number.parseInt(body.NextToken, 10) || 0 : 0;
  const max = typeof body.MaxResults === 'number' ? body.MaxResults : items.length;
  const page = items.slice(start, start + max);
  return { [key]: page, ...(start + max < items.length ? { NextToken: String(start + max) } : {}) };
};
