/**
 * The emulated service's state, one store per emulator: databases and tables (the control plane,
 * control-plane.ts's rules), each table's schema and identity index (tables.ts), what a
 * WriteRecords call takes (ingest.ts), its rows in DuckDB (storage.ts) and, with a data dir, the
 * catalog file (catalog-file.ts). All writes go through one store, their DuckDB statements one call
 * at a time, as the service serialises writes to a record.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { loadCatalog, saveCatalog } from './catalog-file.js';
import {
  ACCOUNT,
  checkResourceName,
  describeTable,
  notFound,
  parseMagneticWrites,
  parseRetention,
} from './control-plane.js';
import { TimestreamError, validationError } from './errors.js';
import { planIngest, recordsOf, undoIngest } from './ingest.js';
import type { Rejection, WireRecord } from './records.js';
import type { Catalog, TableSchema } from './schema.js';
import { quoteIdentifier } from './sql/format.js';
import {
  APPENDER_FLUSH_DELAY_MS,
  closeAppender,
  createTableSql,
  rebuildIdentities,
  storeRows,
} from './storage.js';
import { type DatabaseState, schemaOf, type TableState, tableKey } from './tables.js';

export {
  DEFAULT_MAGNETIC_RETENTION_DAYS,
  DEFAULT_MEMORY_RETENTION_HOURS,
} from './control-plane.js';
export { MAX_DIMENSIONS_PER_TABLE, MAX_MEASURES_PER_TABLE } from './ingest.js';
export type { MagneticStoreWriteProperties, RetentionProperties } from './tables.js';

export interface WriteOutcome {
  readonly ingested: number;
  readonly rejected: readonly (Rejection & { readonly index: number })[];
  /** The ingested records' sizes, each with CommonAttributes merged in (what storage holds). */
  readonly bytes: number;
  /**
   * The call's write size for write metering: CommonAttributes counted once (see
   * `commonWriteBytes`) plus each ingested record's own fields; 0 when nothing was ingested.
   */
  readonly writeBytes: number;
}

/**
 * An in-memory DuckDB checkpoints (compresses its row groups) whenever the changes since the last
 * checkpoint pass `checkpoint_threshold` (16 MB by default), and each checkpoint rewrites the
 * table: with the wide tables of Prometheus label sets (one VARCHAR column per label name, mostly
 * NULL) the appender flushes that triggered one cost 5-15× a plain flush, most of the emulator's
 * ingest CPU. Nothing in memory survives the process, so there is nothing to gain from a
 * checkpoint but memory; with a data dir DuckDB's defaults stand (its WAL is the durability).
 */
const IN_MEMORY_SETTINGS = { checkpoint_threshold: '1GB' } as const;

export interface StoreOptions {
  /** Directory for the DuckDB file and the catalog; in memory when undefined. */
  readonly dataDir?: string | undefined;
  /** The service's clock in milliseconds (tests move it). */
  readonly now?: () => number;
}

export class TimestreamStore implements Catalog {
  private readonly databases = new Map<string, DatabaseState>();
  private readonly tables = new Map<string, TableState>();
  /** Tail of the queue that keeps DuckDB writes of concurrent WriteRecords calls in order. */
  private persistQueue: Promise<void> = Promise.resolve();
  private nextPhysical = 1;

  private constructor(
    /** Queries, CREATE/DROP TABLE and loading: it sees only committed rows. */
    private readonly connection: DuckDBConnection,
    /**
     * WriteRecords' ALTER TABLE, DELETE and appenders, one call at a time (`persistQueue`). Its
     * own connection because a transaction belongs to a connection: a query between an
     * overwrite's statements would otherwise run inside its transaction, see its half-done state,
     * and abort it if the query failed.
     */
    private readonly writer: DuckDBConnection,
    private readonly instance: DuckDBInstance,
    private readonly catalogFile: string | undefined,
    private readonly clock: () => number,
  ) {}

  /** Opens a store, in memory or persisted under `dataDir` (catalog JSON + DuckDB file). */
  public static async open(options: StoreOptions = {}): Promise<TimestreamStore> {
    const dataDir = options.dataDir;
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    const instance =
      dataDir === undefined
        ? await DuckDBInstance.create(':memory:', IN_MEMORY_SETTINGS)
        : await DuckDBInstance.create(path.join(dataDir, 'timestream.duckdb'));
    const connection = await instance.connect();
    const store = new TimestreamStore(
      connection,
      await instance.connect(),
      instance,
      dataDir === undefined ? undefined : path.join(dataDir, 'catalog.json'),
      options.now ?? Date.now,
    );
    await store.load();
    return store;
  }

  public close(): void {
    clearTimeout(this.flushTimer);
    for (const state of this.tables.values()) closeAppender(state);
    this.writer.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }

  public now(): number {
    return this.clock();
  }

  // --- Catalog (read by the SQL layer) -------------------------------------------------------

  public readonly lookup = (database: string, table: string): TableSchema | 'no-database' | 'no-table' => {
    if (!this.databases.has(database)) return 'no-database';
    const state = this.tables.get(tableKey(database, table));
    return state === undefined ? 'no-table' : schemaOf(state);
  };

  public tableStatistics(database: string, table: string): { storedBytes: number } | undefined {
    const state = this.tables.get(tableKey(database, table));
    return state === undefined ? undefined : { storedBytes: state.storedBytes };
  }

  /** SHOW MEASURES data: each measure with its type and dimensions. */
  public measuresOf(database: string, table: string): { name: string; type: string; dimensions: string[] }[] {
    const state = this.requireTable(database, table);
    return [...state.measures.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, m]) => ({
        name,
        type: m.type,
        dimensions: state.dimensions.filter((d) => m.dimensions.has(d)),
      }));
  }

  /** The DuckDB connection, once every write answered so far is in the tables. */
  public async forReading(): Promise<DuckDBConnection> {
    const flushed = this.persistQueue.then(() => {
      for (const state of this.tables.values()) closeAppender(state);
    });
    this.persistQueue = flushed.catch(() => undefined);
    await flushed;
    return this.connection;
  }

  // --- Control plane -------------------------------------------------------------------------

  public createDatabase(name: unknown, kmsKeyId: unknown): Record<string, unknown> {
    const databaseName = checkResourceName(name, 'databaseName');
    if (this.databases.has(databaseName)) {
      throw new TimestreamError('ConflictException', `The database ${databaseName} already exists.`);
    }
    const now = this.clock() / 1000;
    this.databases.set(databaseName, {
      name: databaseName,
      arn: `arn:aws:timestream:us-east-1:${ACCOUNT}:database/${databaseName}`,
      creationTime: now,
      lastUpdatedTime: now,
      kmsKeyId:
        typeof kmsKeyId === 'string' ? kmsKeyId : `arn:aws:kms:us-east-1:${ACCOUNT}:key/timestream-local`,
    });
    this.saveCatalog();
    return this.describeDatabase(databaseName);
  }

  public describeDatabase(name: unknown): Record<string, unknown> {
    const database = this.requireDatabase(name);
    return {
      Arn: database.arn,
      DatabaseName: database.name,
      TableCount: [...this.tables.values()].filter((t) => t.database === database.name).length,
      KmsKeyId: database.kmsKeyId,
      CreationTime: database.creationTime,
      LastUpdatedTime: database.lastUpdatedTime,
    };
  }

  public listDatabases(): Record<string, unknown>[] {
    return [...this.databases.keys()].sort().map((name) => this.describeDatabase(name));
  }

  public updateDatabase(name: unknown, kmsKeyId: unknown): Record<string, unknown> {
    const database = this.requireDatabase(name);
    if (typeof kmsKeyId !== 'string') throw validationError('KmsKeyId is required.');
    database.kmsKeyId = kmsKeyId;
    database.lastUpdatedTime = this.clock() / 1000;
    this.saveCatalog();
    return this.describeDatabase(database.name);
  }

  public deleteDatabase(name: unknown): void {
    const database = this.requireDatabase(name);
    if ([...this.tables.values()].some((t) => t.database === database.name)) {
      throw validationError(
        `The database ${database.name} has tables; delete them before deleting the database.`,
      );
    }
    this.databases.delete(database.name);
    this.saveCatalog();
  }

  public async createTable(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const database = this.requireDatabase(request.DatabaseName);
    const name = checkResourceName(request.TableName, 'tableName');
    if (this.tables.has(tableKey(database.name, name))) {
      throw new TimestreamError('ConflictException', `The table ${database.name}.${name} already exists.`);
    }
    const now = this.clock() / 1000;
    const physicalName = `t_${this.nextPhysical++}`;
    const state: TableState = {
      database: database.name,
      name,
      arn: `${database.arn}/table/${name}`,
      physicalName,
      creationTime: now,
      lastUpdatedTime: now,
      retention: parseRetention(request.RetentionProperties, undefined),
      magneticWrites: parseMagneticWrites(request.MagneticStoreWriteProperties, undefined),
      dimensions: [],
      measureValueColumns: new Set(),
      multiMeasureColumns: new Map(),
      measures: new Map(),
      identities: new Map(),
      physicalColumns: new Set(),
      columnOf: new Map(),
      storedBytes: 0,
    };
    await this.connection.run(createTableSql(physicalName));
    this.tables.set(tableKey(database.name, name), state);
    this.saveCatalog();
    return describeTable(state);
  }

  public describeTable(databaseName: unknown, tableName: unknown): Record<string, unknown> {
    return describeTable(this.requireTable(databaseName, tableName));
  }

  public listTables(databaseName: unknown): Record<string, unknown>[] {
    if (databaseName !== undefined) this.requireDatabase(databaseName);
    return [...this.tables.values()]
      .filter((t) => databaseName === undefined || t.database === databaseName)
      .sort((a, b) => (tableKey(a.database, a.name) < tableKey(b.database, b.name) ? -1 : 1))
      .map(describeTable);
  }

  public updateTable(request: Record<string, unknown>): Record<string, unknown> {
    const state = this.requireTable(request.DatabaseName, request.TableName);
    state.retention = parseRetention(request.RetentionProperties, state.retention);
    state.magneticWrites = parseMagneticWrites(request.MagneticStoreWriteProperties, state.magneticWrites);
    state.lastUpdatedTime = this.clock() / 1000;
    this.saveCatalog();
    return describeTable(state);
  }

  public async deleteTable(databaseName: unknown, tableName: unknown): Promise<void> {
    const state = this.requireTable(databaseName, tableName);
    await this.forReading();
    await this.connection.run(`DROP TABLE ${quoteIdentifier(state.physicalName)}`);
    this.tables.delete(tableKey(state.database, state.name));
    this.saveCatalog();
  }

  // --- WriteRecords --------------------------------------------------------------------------

  /**
   * Ingests what it can of a WriteRecords request (the rules are ingest.ts's): structural
   * problems throw a ValidationException before anything is stored; records the table cannot
   * take are rejected one by one while the rest are stored.
   */
  public async writeRecords(request: Record<string, unknown>): Promise<WriteOutcome> {
    const records = recordsOf(request);
    const state = this.requireTable(request.DatabaseName, request.TableName);
    const plan = planIngest(state, records, request.CommonAttributes as WireRecord | undefined, this.clock());
    // DuckDB statements of concurrent calls must not interleave: two calls adding the same new
    // dimension would both run ALTER TABLE ADD COLUMN. The in-memory state is already updated
    // synchronously by the plan, so only storing the rows is queued.
    const stored = this.persistQueue.then(() =>
      storeRows(this.writer, state, plan, this.catalogFile !== undefined),
    );
    this.persistQueue = stored.then(
      () => undefined,
      () => undefined,
    );
    let flushSoon: boolean;
    try {
      flushSoon = await stored;
    } catch (error) {
      // Nothing of this call was stored: its identities are taken back.
      undoIngest(plan);
      throw error;
    }
    if (flushSoon) this.scheduleFlush();
    state.storedBytes += plan.bytes;
    // The schema (dimensions, measures) lives in the catalog file, rows in DuckDB.
    if (plan.schemaChanged) this.saveCatalog();
    const { ingested, rejected, bytes, writeBytes } = plan;
    return { ingested, rejected, bytes, writeBytes };
  }

  private flushTimer: NodeJS.Timeout | undefined;

  /** Flushes open appenders soon after writes stop, so a persisted store is never far behind. */
  private scheduleFlush(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.forReading().catch(() => undefined);
    }, APPENDER_FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  // --- Persistence ---------------------------------------------------------------------------

  private saveCatalog(): void {
    if (this.catalogFile === undefined) return;
    saveCatalog(this.catalogFile, {
      nextPhysical: this.nextPhysical,
      databases: [...this.databases.values()],
      tables: [...this.tables.values()],
    });
  }

  /** Loads a persisted catalog and rebuilds each table's identity index and column set from its rows. */
  private async load(): Promise<void> {
    if (this.catalogFile === undefined) return;
    const catalog = loadCatalog(this.catalogFile);
    if (catalog === undefined) return;
    this.nextPhysical = catalog.nextPhysical;
    for (const database of catalog.databases) this.databases.set(database.name, database);
    for (const state of catalog.tables) {
      await rebuildIdentities(this.connection, state);
      this.tables.set(tableKey(state.database, state.name), state);
    }
  }

  // --- Lookups -------------------------------------------------------------------------------

  private requireDatabase(name: unknown): DatabaseState {
    const database = typeof name === 'string' ? this.databases.get(name) : undefined;
    if (database === undefined) throw notFound(`The database ${String(name)} does not exist.`);
    return database;
  }

  private requireTable(databaseName: unknown, tableName: unknown): TableState {
    const database = this.requireDatabase(databaseName);
    const state =
      typeof tableName === 'string' ? this.tables.get(tableKey(database.name, tableName)) : undefined;
    if (state === undefined)
      throw notFound(`The table ${database.name}.${String(tableName)} does not exist.`);
    return state;
  }
}
