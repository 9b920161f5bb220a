/**
 * The emulated service's state: databases and tables (the control plane), and each table's rows
 * in DuckDB with the identity index that decides duplicates and versions. All writes go through
 * one store, one call at a time, as the service serialises writes to a record.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampNanosecondsValue,
} from '@duckdb/node-api';
import { TimestreamError, validationError } from './errors.js';
import {
  commonWriteBytes,
  MAX_RECORDS_PER_WRITE,
  mergeCommonAttributes,
  ownWriteBytes,
  type ParsedValue,
  type Rejection,
  toRejection,
  type ValidRecord,
  validateRecord,
  type WireRecord,
} from './records.js';
import {
  type Catalog,
  DUCKDB_TYPES,
  MEASURE_VALUE_COLUMN,
  MEASURE_VALUE_COLUMNS,
  MEASURE_VALUE_TYPE,
  type MeasureValueColumn,
  type ScalarType,
  type TableSchema,
} from './schema.js';
import { quoteIdentifier } from './sql/format.js';

export const DEFAULT_MEMORY_RETENTION_HOURS = 6;
export const DEFAULT_MAGNETIC_RETENTION_DAYS = 73000;
export const MAX_DIMENSIONS_PER_TABLE = 128;
export const MAX_MEASURES_PER_TABLE = 8192;
/** Records may be up to 15 minutes in the future of the service's clock. */
const FUTURE_WINDOW_NS = 15n * 60n * 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
const RESOURCE_NAME = /^[a-zA-Z0-9_.-]{3,256}$/;
const ACCOUNT = '123456789012';

export interface RetentionProperties {
  readonly MemoryStoreRetentionPeriodInHours: number;
  readonly MagneticStoreRetentionPeriodInDays: number;
}

export interface MagneticStoreWriteProperties {
  readonly EnableMagneticStoreWrites: boolean;
  readonly MagneticStoreRejectedDataLocation?: unknown;
}

interface DatabaseState {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  lastUpdatedTime: number;
  kmsKeyId: string;
}

interface IdentityEntry {
  version: number;
  value: string;
}

interface TableState {
  readonly database: string;
  readonly name: string;
  readonly arn: string;
  readonly physicalName: string;
  readonly creationTime: number;
  lastUpdatedTime: number;
  retention: RetentionProperties;
  magneticWrites: MagneticStoreWriteProperties;
  readonly dimensions: string[];
  readonly measureValueColumns: Set<MeasureValueColumn>;
  readonly multiMeasureColumns: Map<string, ScalarType>;
  /** measure_name → its type and the dimensions written with it (SHOW MEASURES). */
  readonly measures: Map<string, { type: string; dimensions: Set<string> }>;
  readonly identities: Map<string, IdentityEntry>;
  /** Dimension and multi-measure columns the DuckDB table has, so writes add only what is missing. */
  readonly physicalColumns: Set<string>;
  /** Each dimension and multi-measure name's DuckDB column (see `allocateColumn`). */
  readonly columnOf: Map<string, string>;
  /** The physical table's columns in order, read when first needed and after each ALTER TABLE. */
  columnOrder?: readonly string[] | undefined;
  /** Rows appended but not yet flushed to the table (see `closeAppender`). */
  appender?: { readonly appender: DuckDBAppender; rows: number } | undefined;
  storedBytes: number;
}

/**
 * Rows an open appender may hold before it flushes. Flushing commits to DuckDB, ~3 ms however
 * few the rows, which made the emulator's CPU, not the client's, the bound of every write
 * benchmark; in memory one appender per table stays open across calls and is flushed before
 * anything reads or changes the table, at this many rows, or shortly after the last write. With a
 * data dir every call flushes its own rows before it is answered (see `persist`).
 */
const APPENDER_FLUSH_ROWS = 20_000;
const APPENDER_FLUSH_DELAY_MS = 250;

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

export interface StoreOptions {
  /** Directory for the DuckDB file and the catalog; in memory when undefined. */
  readonly dataDir?: string | undefined;
  /** The service's clock in milliseconds (tests move it). */
  readonly now?: () => number;
}

const notFound = (message: string) => new TimestreamError('ResourceNotFoundException', message);

const checkResourceName = (name: unknown, what: string): string => {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${String(name)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and length 3 to 256`,
    );
  }
  return name;
};

/** Appends one cell: a dimension's text, a measure value, or NULL. */
const appendCell = (appender: DuckDBAppender, cell: ParsedValue | string | null): void => {
  if (cell === null) appender.appendNull();
  else if (typeof cell === 'string') appender.appendVarchar(cell);
  else if (cell.type === 'BIGINT') appender.appendBigInt(BigInt(cell.value as bigint | number | string));
  else if (cell.type === 'TIMESTAMP')
    appender.appendTimestampNanoseconds(
      new DuckDBTimestampNanosecondsValue(BigInt(cell.value as bigint | number | string)),
    );
  else if (cell.type === 'DOUBLE') appender.appendDouble(Number(cell.value));
  else if (cell.type === 'BOOLEAN') appender.appendBoolean(Boolean(cell.value));
  else appender.appendVarchar(String(cell.value));
};

/** The identity of a record: (dimensions, measure name, time), as the service defines it. */
const identityOf = (record: ValidRecord): string =>
  JSON.stringify([
    record.measureName,
    record.timeNs.toString(),
    [...record.dimensions].sort((a, b) => (a.name < b.name ? -1 : 1)).map((d) => [d.name, d.value]),
  ]);

const valueSignature = (record: ValidRecord): string =>
  record.type === 'MULTI'
    ? JSON.stringify(record.measures.map((m) => [m.name, m.value.type, String(m.value.value)]))
    : JSON.stringify([record.value?.type, String(record.value?.value)]);

const isoMs = (ns: bigint): string => new Date(Number(ns / NS_PER_MS)).toISOString();

const DUPLICATE_REASON =
  'A record already exists with the same time, dimensions, measure name, and record version. A higher record version must be specified in order to update the measure value. Specifying record version is supported by the latest SDKs.';

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
    const instance = await DuckDBInstance.create(
      dataDir === undefined ? ':memory:' : path.join(dataDir, 'timestream.duckdb'),
    );
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
    for (const state of this.tables.values()) this.closeAppender(state);
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
      for (const state of this.tables.values()) this.closeAppender(state);
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
    const columns = [
      'measure_name VARCHAR',
      'time TIMESTAMP_NS',
      ...MEASURE_VALUE_COLUMNS.map((c) => `${quoteIdentifier(c)} ${DUCKDB_TYPES[MEASURE_VALUE_TYPE[c]]}`),
      // The record version is stored but never visible to queries.
      '"__version" BIGINT',
    ];
    await this.connection.run(`CREATE TABLE ${quoteIdentifier(physicalName)} (${columns.join(', ')})`);
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
   * Ingests what it can of a WriteRecords request. Structural problems throw a
   * ValidationException before anything is stored; each record that breaks a limit, falls
   * outside the retention window or conflicts with a stored record is rejected on its own while
   * the rest of the batch is stored, as the service does.
   */
  public async writeRecords(request: Record<string, unknown>): Promise<WriteOutcome> {
    const records = request.Records;
    if (!Array.isArray(records) || records.length === 0) {
      throw validationError(
        "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (records.length > MAX_RECORDS_PER_WRITE) {
      throw validationError(
        `1 validation error detected: Value '[...]' at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORDS_PER_WRITE}`,
      );
    }
    const state = this.requireTable(request.DatabaseName, request.TableName);
    const common = request.CommonAttributes as WireRecord | undefined;
    // Validate every record first: a ValidationException anywhere means nothing is stored.
    const validated = records.map((record, index) =>
      validateRecord(mergeCommonAttributes(common, record as WireRecord), index),
    );

    const nowNs = BigInt(Math.trunc(this.clock())) * NS_PER_MS;
    const memoryStart =
      nowNs - BigInt(state.retention.MemoryStoreRetentionPeriodInHours) * 3_600_000_000_000n;
    const magneticStart =
      nowNs - BigInt(state.retention.MagneticStoreRetentionPeriodInDays) * 86_400_000_000_000n;
    const end = nowNs + FUTURE_WINDOW_NS;
    const earliest = state.magneticWrites.EnableMagneticStoreWrites ? magneticStart : memoryStart;

    const rejected: (Rejection & { index: number })[] = [];
    const pending = new Map<string, ValidRecord>();
    /** Identities this call changes, as they were, to undo them if persisting fails. */
    const previous = new Map<string, IdentityEntry | undefined>();
    const deletes: ValidRecord[] = [];
    let ingested = 0;
    let bytes = 0;
    const shared = commonWriteBytes(common);
    let ownBytes = 0;
    const ingest = (record: ValidRecord, index: number): void => {
      ingested++;
      bytes += record.bytes;
      ownBytes += ownWriteBytes(record, records[index] as WireRecord, shared);
    };
    let schemaChanged = false;
    for (const [index, result] of validated.entries()) {
      const rejection = toRejection(result);
      if (rejection !== undefined) {
        rejected.push({ ...rejection, index });
        continue;
      }
      const record = result as ValidRecord;
      if (record.timeNs < earliest || record.timeNs >= end) {
        const store = state.magneticWrites.EnableMagneticStoreWrites ? 'magnetic store' : 'memory store';
        rejected.push({
          index,
          category: 'retention',
          reason: `The record timestamp is outside the time range [${isoMs(earliest)}, ${isoMs(end)}) of the ${store}.`,
        });
        continue;
      }
      const schemaProblem = this.checkSchema(state, record);
      if (schemaProblem !== undefined) {
        rejected.push({ ...schemaProblem, index });
        continue;
      }
      const identity = identityOf(record);
      const signature = valueSignature(record);
      const existing = state.identities.get(identity);
      if (existing !== undefined) {
        if (existing.value === signature) {
          // An identical resend is accepted (Prometheus retries); a higher version only updates it.
          if (record.version > existing.version) {
            if (!previous.has(identity)) previous.set(identity, { ...existing });
            existing.version = record.version;
            if (!pending.has(identity)) deletes.push(record);
            pending.set(identity, record);
          }
          ingest(record, index);
          continue;
        }
        if (record.version <= existing.version) {
          rejected.push({
            index,
            category: record.version === existing.version ? 'duplicate' : 'version',
            existingVersion: existing.version,
            reason:
              record.version === existing.version
                ? DUPLICATE_REASON
                : `The record version ${record.version} is lower than the existing version ${existing.version}. A higher version is required to update the measure value.`,
          });
          continue;
        }
        if (!pending.has(identity)) deletes.push(record);
      }
      if (this.applySchema(state, record)) schemaChanged = true;
      if (!previous.has(identity))
        previous.set(identity, existing === undefined ? undefined : { ...existing });
      state.identities.set(identity, { version: record.version, value: signature });
      pending.set(identity, record);
      ingest(record, index);
    }
    // DuckDB statements of concurrent calls must not interleave: two calls adding the same new
    // dimension would both run ALTER TABLE ADD COLUMN. The in-memory state above is already
    // updated synchronously, so only persisting is queued.
    const persisted = this.persistQueue.then(() => this.persist(state, deletes, [...pending.values()]));
    this.persistQueue = persisted.catch(() => undefined);
    try {
      await persisted;
    } catch (error) {
      // Nothing of this call was stored: forget its identities, or the SDK's retry of the same
      // records would be taken for an identical resend and acknowledged without storing them.
      for (const [identity, before] of previous) {
        if (before === undefined) state.identities.delete(identity);
        else state.identities.set(identity, before);
      }
      throw error;
    }
    state.storedBytes += bytes;
    // The schema (dimensions, measures) lives in the catalog file, rows in DuckDB.
    if (schemaChanged) this.saveCatalog();
    // Rejected records count nothing, and neither do the common attributes of a call that
    // ingested nothing.
    const writeBytes = ingested === 0 ? 0 : shared.dimensions + shared.measureName + ownBytes;
    return { ingested, rejected, bytes, writeBytes };
  }

  /** Table-level limits a record must fit, checked before it changes the table's schema. */
  private checkSchema(state: TableState, record: ValidRecord): Rejection | undefined {
    const newDimensions = record.dimensions.filter((d) => !state.dimensions.includes(d.name));
    if (state.dimensions.length + newDimensions.length > MAX_DIMENSIONS_PER_TABLE) {
      return {
        category: 'limit',
        reason: `The table would exceed the limit of ${MAX_DIMENSIONS_PER_TABLE} dimensions.`,
      };
    }
    for (const { name } of newDimensions) {
      if (state.measures.has(name) || state.multiMeasureColumns.has(name)) {
        return {
          category: 'schema',
          reason: `Dimension name '${name}' is already used as a measure name in this table.`,
        };
      }
    }
    if (state.dimensions.includes(record.measureName)) {
      return {
        category: 'schema',
        reason: `Measure name '${record.measureName}' is already used as a dimension name in this table.`,
      };
    }
    if (!state.measures.has(record.measureName) && state.measures.size >= MAX_MEASURES_PER_TABLE) {
      return {
        category: 'limit',
        reason: `The table would exceed the limit of ${MAX_MEASURES_PER_TABLE} measures.`,
      };
    }
    for (const measure of record.measures) {
      const existingType = state.multiMeasureColumns.get(measure.name);
      if (existingType !== undefined && existingType !== measure.value.type) {
        return {
          category: 'schema',
          reason: `Measure '${measure.name}' was created with data type ${existingType}; it cannot be written as ${measure.value.type}.`,
        };
      }
      if (state.dimensions.includes(measure.name)) {
        return {
          category: 'schema',
          reason: `Measure name '${measure.name}' is already used as a dimension name in this table.`,
        };
      }
    }
    return undefined;
  }

  /** Records the dimensions, value columns and measures a record brings; true if anything was new. */
  private applySchema(state: TableState, record: ValidRecord): boolean {
    let changed = false;
    for (const { name } of record.dimensions) {
      if (!state.dimensions.includes(name)) {
        state.dimensions.push(name);
        allocateColumn(state, name);
        changed = true;
      }
    }
    if (record.value !== undefined) {
      const column = MEASURE_VALUE_COLUMN[record.value.type];
      if (!state.measureValueColumns.has(column)) {
        state.measureValueColumns.add(column);
        changed = true;
      }
    }
    for (const measure of record.measures) {
      if (!state.multiMeasureColumns.has(measure.name)) {
        state.multiMeasureColumns.set(measure.name, measure.value.type);
        allocateColumn(state, measure.name);
        changed = true;
      }
    }
    let measure = state.measures.get(record.measureName);
    if (measure === undefined) {
      measure = {
        type: record.type === 'MULTI' ? 'multi' : (record.value?.type ?? 'DOUBLE').toLowerCase(),
        dimensions: new Set(),
      };
      state.measures.set(record.measureName, measure);
      changed = true;
    }
    for (const { name } of record.dimensions) {
      if (!measure.dimensions.has(name)) {
        measure.dimensions.add(name);
        changed = true;
      }
    }
    return changed;
  }

  /** Adds new columns, removes overwritten rows and inserts the accepted ones. */
  private async persist(
    state: TableState,
    deletes: readonly ValidRecord[],
    inserts: readonly ValidRecord[],
  ): Promise<void> {
    const table = quoteIdentifier(state.physicalName);
    // ALTER TABLE and DELETE need the rows an open appender holds flushed first.
    for (const name of state.dimensions) {
      const column = physicalColumn(state, name);
      if (state.physicalColumns.has(column)) continue;
      this.closeAppender(state);
      await this.writer.run(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column)} VARCHAR`);
      state.physicalColumns.add(column);
      state.columnOrder = undefined;
    }
    for (const [name, type] of state.multiMeasureColumns) {
      const column = physicalColumn(state, name);
      if (state.physicalColumns.has(column)) continue;
      this.closeAppender(state);
      await this.writer.run(
        `ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column)} ${DUCKDB_TYPES[type]}`,
      );
      state.physicalColumns.add(column);
      state.columnOrder = undefined;
    }
    if (deletes.length === 0 && inserts.length === 0) return;
    // With a data dir a call is answered only once its rows are committed (in DuckDB's WAL), so
    // an acknowledged write survives a kill, as it does on the service; and the DELETEs of the
    // rows it overwrites commit in one transaction with the new rows (the appender's flush joins
    // it), so a kill or a failure between the two cannot lose an overwritten record's
    // acknowledged value: it is replaced or kept, and a failed call is rolled back whole, so its
    // retry finds the table as it was. A call without overwrites needs no transaction: the flush
    // is one commit. In memory nothing survives a kill anyway, and the appender stays open across
    // calls, as each flush costs ~3 ms. The ALTER TABLEs above commit on their own either way (a
    // column no row uses yet is harmless).
    const durable = this.catalogFile !== undefined;
    const transaction = durable && deletes.length > 0;
    // DELETE needs earlier calls' appended rows flushed (with a data dir there are none).
    if (deletes.length > 0) this.closeAppender(state);
    if (transaction) await this.writer.run('BEGIN TRANSACTION');
    try {
      await this.deleteAndAppend(state, deletes, inserts);
      if (durable) this.closeAppender(state);
      if (transaction) await this.writer.run('COMMIT');
    } catch (error) {
      // Nothing of the call may stay: its appended rows (with a data dir the appender holds no
      // others) are dropped, not flushed with the next call's, and its DELETEs rolled back.
      if (durable) {
        const open = state.appender;
        state.appender = undefined;
        try {
          open?.appender.clear();
          open?.appender.closeSync();
        } catch {
          // The appender is being thrown away; the rollback is what matters.
        }
        if (transaction) await this.writer.run('ROLLBACK').catch(() => undefined);
      }
      throw error;
    }
    if (durable || state.appender === undefined) return;
    if (state.appender.rows >= APPENDER_FLUSH_ROWS) this.closeAppender(state);
    else this.scheduleFlush();
  }

  /** Removes the rows `deletes` overwrite and appends `inserts` (flushed by the caller). */
  private async deleteAndAppend(
    state: TableState,
    deletes: readonly ValidRecord[],
    inserts: readonly ValidRecord[],
  ): Promise<void> {
    const table = quoteIdentifier(state.physicalName);
    for (const record of deletes) {
      const conditions = ['measure_name = CAST(? AS VARCHAR)', 'time = make_timestamp_ns(CAST(? AS BIGINT))'];
      const params: unknown[] = [record.measureName, record.timeNs];
      for (const name of state.dimensions) {
        conditions.push(
          `${quoteIdentifier(physicalColumn(state, name))} IS NOT DISTINCT FROM CAST(? AS VARCHAR)`,
        );
        params.push(record.dimensions.find((d) => d.name === name)?.value ?? null);
      }
      await this.writer.run(`DELETE FROM ${table} WHERE ${conditions.join(' AND ')}`, params as never[]);
    }
    if (inserts.length === 0) return;
    // An appender writes rows straight into the table's columns: a 100-row INSERT … VALUES with
    // a parameter per cell cost DuckDB ~50 ms to plan, the appender ~2 ms.
    const columns = await this.columnOrder(state);
    state.appender ??= { appender: await this.writer.createAppender(state.physicalName), rows: 0 };
    const { appender } = state.appender;
    // Every value was validated against its column's type, so appending cannot fail on data.
    for (const record of inserts) {
      const cells = new Map<string, ParsedValue | string | null>();
      for (const dimension of record.dimensions)
        cells.set(physicalColumn(state, dimension.name), dimension.value);
      if (record.value !== undefined) cells.set(MEASURE_VALUE_COLUMN[record.value.type], record.value);
      for (const measure of record.measures) cells.set(physicalColumn(state, measure.name), measure.value);
      for (const column of columns) {
        if (column === 'measure_name') appender.appendVarchar(record.measureName);
        else if (column === 'time')
          appender.appendTimestampNanoseconds(new DuckDBTimestampNanosecondsValue(record.timeNs));
        else if (column === '__version') appender.appendBigInt(BigInt(record.version));
        else appendCell(appender, cells.get(column) ?? null);
      }
      appender.endRow();
    }
    state.appender.rows += inserts.length;
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

  /** Flushes the table's appended rows into it and closes its appender. */
  private closeAppender(state: TableState): void {
    const open = state.appender;
    if (open === undefined) return;
    state.appender = undefined;
    open.appender.closeSync();
  }

  /** The table's columns in DuckDB's order, which an appender must follow. */
  private async columnOrder(state: TableState): Promise<readonly string[]> {
    if (state.columnOrder === undefined) {
      const result = await this.writer.runAndReadAll(
        `SELECT * FROM ${quoteIdentifier(state.physicalName)} LIMIT 0`,
      );
      state.columnOrder = result.columnNames();
    }
    return state.columnOrder;
  }

  // --- Persistence ---------------------------------------------------------------------------

  private saveCatalog(): void {
    if (this.catalogFile === undefined) return;
    const catalog = {
      nextPhysical: this.nextPhysical,
      databases: [...this.databases.values()],
      tables: [...this.tables.values()].map((t) => ({
        database: t.database,
        name: t.name,
        arn: t.arn,
        physicalName: t.physicalName,
        creationTime: t.creationTime,
        lastUpdatedTime: t.lastUpdatedTime,
        retention: t.retention,
        magneticWrites: t.magneticWrites,
        dimensions: t.dimensions,
        measureValueColumns: [...t.measureValueColumns],
        multiMeasureColumns: [...t.multiMeasureColumns],
        columnOf: [...t.columnOf],
        measures: [...t.measures].map(([name, m]) => [name, { type: m.type, dimensions: [...m.dimensions] }]),
      })),
    };
    // Written aside and renamed over the old one: a kill mid-write must not leave half a catalog.
    writeFileSync(`${this.catalogFile}.tmp`, JSON.stringify(catalog, null, 2));
    renameSync(`${this.catalogFile}.tmp`, this.catalogFile);
  }

  /** Loads a persisted catalog and rebuilds each table's identity index and column set from its rows. */
  private async load(): Promise<void> {
    if (this.catalogFile === undefined) return;
    let text: string;
    try {
      text = readFileSync(this.catalogFile, 'utf8');
    } catch {
      return;
    }
    const catalog = JSON.parse(text);
    this.nextPhysical = catalog.nextPhysical;
    for (const database of catalog.databases) this.databases.set(database.name, database);
    for (const t of catalog.tables) {
      const state: TableState = {
        ...t,
        measureValueColumns: new Set(t.measureValueColumns),
        multiMeasureColumns: new Map(t.multiMeasureColumns),
        measures: new Map(
          t.measures.map(([name, m]: [string, { type: string; dimensions: string[] }]) => [
            name,
            { type: m.type, dimensions: new Set(m.dimensions) },
          ]),
        ),
        identities: new Map(),
        physicalColumns: new Set(),
        // A catalog written before the map existed stored every name under itself.
        columnOf: new Map(
          t.columnOf ??
            [...t.dimensions, ...t.multiMeasureColumns.map(([name]: [string]) => name)].map((name) => [
              name,
              name,
            ]),
        ),
        storedBytes: 0,
      };
      await this.rebuildIdentities(state);
      this.tables.set(tableKey(state.database, state.name), state);
    }
  }

  private async rebuildIdentities(state: TableState): Promise<void> {
    const result = await this.connection.runAndReadAll(
      `SELECT *, epoch_ns(time) AS "__time_ns" FROM ${quoteIdentifier(state.physicalName)}`,
    );
    for (const name of result.columnNames()) state.physicalColumns.add(name);
    for (const row of result.getRowObjects()) {
      const cell = (name: string): unknown => row[physicalColumn(state, name)];
      const dimensions = state.dimensions
        .filter((name) => cell(name) !== null && cell(name) !== undefined)
        .map((name) => ({ name, value: String(cell(name)) }));
      const measureName = String(row.measure_name);
      const timeNs = row.__time_ns as bigint;
      const single = MEASURE_VALUE_COLUMNS.find((c) => row[c] !== null && row[c] !== undefined);
      const measures = [...state.multiMeasureColumns]
        .filter(([name]) => cell(name) !== null && cell(name) !== undefined)
        .map(([name, type]) => ({ name, value: { type, value: storedValue(cell(name), type), bytes: 0 } }));
      const type = single === undefined ? 'MULTI' : MEASURE_VALUE_TYPE[single];
      const record: ValidRecord = {
        dimensions,
        measureName,
        type,
        value:
          single === undefined
            ? undefined
            : { type: type as ScalarType, value: storedValue(row[single], type as ScalarType), bytes: 0 },
        measures,
        timeNs,
        version: Number(row.__version),
        bytes: 0,
      };
      state.identities.set(identityOf(record), { version: record.version, value: valueSignature(record) });
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

/** Values read back from DuckDB, normalised to what the write path produced (for signatures). */
const storedValue = (value: unknown, type: ScalarType): string | number | bigint | boolean => {
  if (type === 'TIMESTAMP' && typeof value === 'object' && value !== null && 'nanos' in value)
    return (value as { nanos: bigint }).nanos;
  return value as string | number | bigint | boolean;
};

const tableKey = (database: string, table: string): string => `${database}\0${table}`;

/** Columns every table has (and the alias `rebuildIdentities` reads time under). */
const FIXED_COLUMNS: readonly string[] = [
  'measure_name',
  'time',
  '__version',
  '__time_ns',
  ...MEASURE_VALUE_COLUMNS,
];

/**
 * Gives a new dimension or multi-measure name its DuckDB column. Timestream names are
 * case-sensitive, DuckDB's identifiers are not (`"goos"` and `"GOOS"` are one column), so a
 * name is stored under itself unless a column equal to it but for case exists; then under the
 * name with the first free `#n` suffix (`GOOS#2`). Queries see only the names as written.
 */
const allocateColumn = (state: TableState, name: string): void => {
  if (state.columnOf.has(name)) return;
  // JavaScript folds more than DuckDB (which folds ASCII only): the worst case is a needless suffix.
  const taken = new Set([...FIXED_COLUMNS, ...state.columnOf.values()].map((c) => c.toLowerCase()));
  let column = name;
  for (let n = 2; taken.has(column.toLowerCase()); n++) column = `${name}#${n}`;
  state.columnOf.set(name, column);
};

/** The DuckDB column holding a dimension or multi-measure name's values. */
const physicalColumn = (state: TableState, name: string): string => state.columnOf.get(name) ?? name;

const schemaOf = (state: TableState): TableSchema => ({
  database: state.database,
  table: state.name,
  physicalName: state.physicalName,
  dimensions: [...state.dimensions],
  measureValueColumns: MEASURE_VALUE_COLUMNS.filter((c) => state.measureValueColumns.has(c)),
  multiMeasureColumns: [...state.multiMeasureColumns].map(([name, type]) => ({ name, type })),
  physicalColumns: new Map(state.columnOf),
});

const describeTable = (state: TableState): Record<string, unknown> => ({
  Arn: state.arn,
  TableName: state.name,
  DatabaseName: state.database,
  TableStatus: 'ACTIVE',
  RetentionProperties: state.retention,
  CreationTime: state.creationTime,
  LastUpdatedTime: state.lastUpdatedTime,
  MagneticStoreWriteProperties: state.magneticWrites,
  Schema: { CompositePartitionKey: [{ Type: 'MEASURE' }] },
});

const integerIn = (value: unknown, min: number, max: number, field: string): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validationError(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must be between ${min} and ${max}`,
    );
  }
  return value;
};

const parseRetention = (value: unknown, current: RetentionProperties | undefined): RetentionProperties => {
  if (value === undefined) {
    return (
      current ?? {
        MemoryStoreRetentionPeriodInHours: DEFAULT_MEMORY_RETENTION_HOURS,
        MagneticStoreRetentionPeriodInDays: DEFAULT_MAGNETIC_RETENTION_DAYS,
      }
    );
  }
  const retention = value as Record<string, unknown>;
  return {
    MemoryStoreRetentionPeriodInHours: integerIn(
      retention.MemoryStoreRetentionPeriodInHours,
      1,
      8766,
      'retentionProperties.memoryStoreRetentionPeriodInHours',
    ),
    MagneticStoreRetentionPeriodInDays: integerIn(
      retention.MagneticStoreRetentionPeriodInDays,
      1,
      73000,
      'retentionProperties.magneticStoreRetentionPeriodInDays',
    ),
  };
};

const parseMagneticWrites = (
  value: unknown,
  current: MagneticStoreWriteProperties | undefined,
): MagneticStoreWriteProperties => {
  if (value === undefined) return current ?? { EnableMagneticStoreWrites: false };
  const properties = value as Record<string, unknown>;
  if (typeof properties.EnableMagneticStoreWrites !== 'boolean') {
    throw validationError('MagneticStoreWriteProperties.EnableMagneticStoreWrites is required.');
  }
  return {
    EnableMagneticStoreWrites: properties.EnableMagneticStoreWrites,
    ...(properties.MagneticStoreRejectedDataLocation === undefined
      ? {}
      : { MagneticStoreRejectedDataLocation: properties.MagneticStoreRejectedDataLocation }),
  };
};
