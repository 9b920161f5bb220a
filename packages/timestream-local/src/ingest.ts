/**
 * The ingest rules of WriteRecords: which of a call's records the table takes and why each other
 * one is rejected (retention window, table limits, schema conflicts, duplicates and versions), as
 * the service decides them. Pure decisions on a table's state; storing the rows is storage.ts's.
 */

import { validationError } from './errors.js';
import {
  entryAt,
  type IdentityEntry,
  type IdentityIndex,
  insertPoint,
  positionOf,
  putPoint,
  removePoint,
  type SeriesPoints,
  seriesPoints,
  setEntry,
} from './identities.js';
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
import { MEASURE_VALUE_COLUMN } from './schema.js';
import { allocateColumn, hasDimension, type TableState } from './tables.js';

export const MAX_DIMENSIONS_PER_TABLE = 128;
export const MAX_MEASURES_PER_TABLE = 8192;
/** Records may be up to 15 minutes in the future of the service's clock. */
const FUTURE_WINDOW_NS = 15n * 60n * 1_000_000_000n;
export const NS_PER_MS = 1_000_000n;

const DUPLICATE_REASON =
  'A record already exists with the same time, dimensions, measure name, and record version. A higher record version must be specified in order to update the measure value. Specifying record version is supported by the latest SDKs.';

/** Each text with its length before it, so that no name or value can run into the next one. */
const framed = (text: string): string => `${text.length}:${text}`;

const byName = (a: { readonly name: string }, b: { readonly name: string }): number =>
  a.name < b.name ? -1 : 1;

/**
 * The series of a record: its measure name and dimensions, as one string that two records share
 * exactly when those are equal (the dimensions in name order, every text length-framed). With
 * the record's time it is the record's identity, as the service defines it. Built by
 * concatenation: it is computed for every record written, and the JSON of nested arrays it
 * replaced was a tenth of the emulator's ingest CPU.
 */
export const seriesKeyOf = (record: ValidRecord): string => {
  let dimensions = record.dimensions;
  for (let i = 1; i < dimensions.length; i++) {
    if ((dimensions[i - 1] as { name: string }).name > (dimensions[i] as { name: string }).name) {
      dimensions = [...dimensions].sort(byName);
      break;
    }
  }
  let key = framed(record.measureName);
  for (const { name, value } of dimensions) key += `|${framed(name)}${framed(value)}`;
  return key;
};

/** A MULTI record's measures as one string, to tell an identical resend from a changed value. */
const multiSignature = (record: ValidRecord): string =>
  JSON.stringify(record.measures.map((m) => [m.name, m.value.type, String(m.value.value)]));

/** What the identity index keeps of a record. */
const identityEntryOf = (record: ValidRecord): IdentityEntry =>
  record.type === 'MULTI'
    ? { version: record.version, type: 'MULTI', value: multiSignature(record) }
    : { version: record.version, type: record.type, value: (record.value as ParsedValue).value };

/**
 * Whether a record stores the value of the point at `at`. For one measure, its type and value:
 * the values are numbers, bigints, booleans or strings, and two of one type are equal exactly
 * when their text is (a DOUBLE's shortest round-trip text is unique, and -0 and 0 print alike
 * and compare equal), so this decides as the text signature it replaced did, without building
 * one per record.
 */
const sameValue = (points: SeriesPoints, at: number, record: ValidRecord): boolean =>
  points.types[at] === record.type &&
  points.values[at] ===
    (record.type === 'MULTI' ? multiSignature(record) : (record.value as ParsedValue).value);

/** Puts a record loaded from storage in the table's identity index. */
export const indexStoredRecord = (state: TableState, record: ValidRecord): void => {
  putPoint(seriesPoints(state.identities, seriesKeyOf(record)), record.timeNs, identityEntryOf(record));
};

const isoMs = (ns: bigint): string => new Date(Number(ns / NS_PER_MS)).toISOString();

/** Table-level limits a record must fit, checked before it changes the table's schema. */
const checkSchema = (state: TableState, record: ValidRecord): Rejection | undefined => {
  // Counted, not collected: nearly every record brings no new dimension.
  let newDimensions = 0;
  for (const { name } of record.dimensions) if (!hasDimension(state, name)) newDimensions++;
  if (state.dimensions.length + newDimensions > MAX_DIMENSIONS_PER_TABLE) {
    return {
      category: 'limit',
      reason: `The table would exceed the limit of ${MAX_DIMENSIONS_PER_TABLE} dimensions.`,
    };
  }
  for (const { name } of newDimensions === 0 ? [] : record.dimensions) {
    if (hasDimension(state, name)) continue;
    if (state.measures.has(name) || state.multiMeasureColumns.has(name)) {
      return {
        category: 'schema',
        reason: `Dimension name '${name}' is already used as a measure name in this table.`,
      };
    }
  }
  if (hasDimension(state, record.measureName)) {
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
    if (hasDimension(state, measure.name)) {
      return {
        category: 'schema',
        reason: `Measure name '${measure.name}' is already used as a dimension name in this table.`,
      };
    }
  }
  return undefined;
};

/** Records the dimensions, value columns and measures a record brings; true if anything was new. */
const applySchema = (state: TableState, record: ValidRecord): boolean => {
  let changed = false;
  for (const { name } of record.dimensions) {
    if (!hasDimension(state, name)) {
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
};

/** An identity a call changes: its series and time, what it was before, the call's last record with it. */
interface IdentityChange {
  readonly points: SeriesPoints;
  readonly time: bigint;
  readonly before: IdentityEntry | undefined;
  record: ValidRecord;
}

/** What one WriteRecords call does to a table, decided before anything is stored. */
export interface IngestPlan {
  readonly rejected: (Rejection & { index: number })[];
  /** Rows to insert, one per identity (the last of a call's records with it). */
  readonly inserts: ValidRecord[];
  /** Records whose stored rows they overwrite (deleted before the inserts). */
  readonly deletes: ValidRecord[];
  /** Identities this call changes, with what they were, to undo them if storing fails. */
  readonly changes: readonly IdentityChange[];
  readonly ingested: number;
  /** The ingested records' sizes, each with CommonAttributes merged in (what storage holds). */
  readonly bytes: number;
  /** The call's metered write size (see `WriteOutcome.writeBytes`). */
  readonly writeBytes: number;
  readonly schemaChanged: boolean;
}

/** The identities a call has changed so far: in the order first changed, and per series. */
interface CallChanges {
  readonly list: IdentityChange[];
  readonly bySeries: Map<SeriesPoints, IdentityChange[]>;
  /** Records whose stored rows they overwrite. */
  readonly deletes: ValidRecord[];
}

const changeOf = (call: CallChanges, points: SeriesPoints, time: bigint): IdentityChange | undefined =>
  call.bySeries.get(points)?.find((change) => change.time === time);

const track = (call: CallChanges, change: IdentityChange): void => {
  call.list.push(change);
  const ofSeries = call.bySeries.get(change.points);
  if (ofSeries === undefined) call.bySeries.set(change.points, [change]);
  else ofSeries.push(change);
};

/**
 * Decides a record against the stored identities and updates the index: `stored` for a new
 * record or an overwrite (a row to insert), `resend` for an identical resend (nothing to store
 * unless its version is higher), else the rejection. A call's last record with an identity is
 * the one stored; an overwritten row is deleted once.
 */
const decideIdentity = (
  identities: IdentityIndex,
  record: ValidRecord,
  call: CallChanges,
): 'stored' | 'resend' | Rejection => {
  const points = seriesPoints(identities, seriesKeyOf(record));
  const time = record.timeNs;
  const at = positionOf(points, time);
  if (at < 0) {
    insertPoint(points, ~at, time, identityEntryOf(record));
    track(call, { points, time, before: undefined, record });
    return 'stored';
  }
  const change = changeOf(call, points, time);
  const version = points.versions[at] as number;
  if (sameValue(points, at, record)) {
    // An identical resend is accepted (Prometheus retries); a higher version only updates it.
    if (record.version > version) {
      if (change === undefined) {
        track(call, { points, time, before: entryAt(points, at), record });
        call.deletes.push(record);
      } else change.record = record;
      points.versions[at] = record.version;
    }
    return 'resend';
  }
  if (record.version <= version) {
    return {
      category: record.version === version ? 'duplicate' : 'version',
      existingVersion: version,
      reason:
        record.version === version
          ? DUPLICATE_REASON
          : `The record version ${record.version} is lower than the existing version ${version}. A higher version is required to update the measure value.`,
    };
  }
  if (change === undefined) {
    track(call, { points, time, before: entryAt(points, at), record });
    call.deletes.push(record);
  } else change.record = record;
  setEntry(points, at, identityEntryOf(record));
  return 'stored';
};

/** The records array of a request, its length checked as the service's validation does. */
export const recordsOf = (request: Record<string, unknown>): unknown[] => {
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
  return records;
};

/**
 * Decides a WriteRecords call against a table and applies it to the table's in-memory state (the
 * schema and the identity index; `undoIngest` takes the identities back). Structural problems
 * throw a ValidationException before anything changes; each record that breaks a limit, falls
 * outside the retention window or conflicts with a stored record is rejected on its own while
 * the rest of the batch is taken, as the service does.
 */
export const planIngest = (
  state: TableState,
  records: readonly unknown[],
  common: WireRecord | undefined,
  nowMs: number,
): IngestPlan => {
  // Validate every record first: a ValidationException anywhere means nothing is stored.
  const validated = records.map((record, index) =>
    validateRecord(mergeCommonAttributes(common, record as WireRecord), index),
  );

  const nowNs = BigInt(Math.trunc(nowMs)) * NS_PER_MS;
  const memoryStart = nowNs - BigInt(state.retention.MemoryStoreRetentionPeriodInHours) * 3_600_000_000_000n;
  const magneticStart =
    nowNs - BigInt(state.retention.MagneticStoreRetentionPeriodInDays) * 86_400_000_000_000n;
  const end = nowNs + FUTURE_WINDOW_NS;
  const earliest = state.magneticWrites.EnableMagneticStoreWrites ? magneticStart : memoryStart;

  const rejected: (Rejection & { index: number })[] = [];
  const call: CallChanges = { list: [], bySeries: new Map(), deletes: [] };
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
    const schemaProblem = checkSchema(state, record);
    if (schemaProblem !== undefined) {
      rejected.push({ ...schemaProblem, index });
      continue;
    }
    const identity = decideIdentity(state.identities, record, call);
    if (identity === 'resend') {
      ingest(record, index);
      continue;
    }
    if (identity !== 'stored') {
      rejected.push({ ...identity, index });
      continue;
    }
    if (applySchema(state, record)) schemaChanged = true;
    ingest(record, index);
  }
  // Rejected records count nothing, and neither do the common attributes of a call that
  // ingested nothing.
  const writeBytes = ingested === 0 ? 0 : shared.dimensions + shared.measureName + ownBytes;
  return {
    rejected,
    inserts: call.list.map((change) => change.record),
    deletes: call.deletes,
    changes: call.list,
    ingested,
    bytes,
    writeBytes,
    schemaChanged,
  };
};

/**
 * Takes back the identities a plan set, when its rows could not be stored: otherwise the SDK's
 * retry of the same records would be taken for an identical resend and acknowledged unstored.
 */
export const undoIngest = (plan: Pick<IngestPlan, 'changes'>): void => {
  for (const { points, time, before } of plan.changes) {
    const at = positionOf(points, time);
    if (before !== undefined) putPoint(points, time, before);
    else if (at >= 0) removePoint(points, at);
  }
};
