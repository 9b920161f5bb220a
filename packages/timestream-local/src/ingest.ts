/**
 * The ingest rules of WriteRecords: which of a call's records the table takes and why each other
 * one is rejected (retention window, table limits, schema conflicts, duplicates and versions), as
 * the service decides them. Pure decisions on a table's state; storing the rows is storage.ts's.
 */

import { validationError } from './errors.js';
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
import {
  allocateColumn,
  hasDimension,
  type IdentityEntry,
  type IdentityIndex,
  type TableState,
} from './tables.js';

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

/** What the identity index keeps of a record (see `IdentityEntry`). */
export const identityEntryOf = (record: ValidRecord): IdentityEntry =>
  record.type === 'MULTI'
    ? { version: record.version, type: 'MULTI', value: multiSignature(record) }
    : {
        version: record.version,
        type: record.type,
        value: (record.value as ParsedValue).value,
      };

/**
 * Whether a record stores the value an entry holds. For one measure, its type and value: the
 * values are numbers, bigints, booleans or strings, and two of one type are equal exactly when
 * their text is (a DOUBLE's shortest round-trip text is unique, and -0 and 0 print alike and
 * compare equal), so this decides as the text signature it replaced did, without building one
 * per record.
 */
const sameValue = (entry: IdentityEntry, record: ValidRecord): boolean =>
  entry.type === record.type &&
  (record.type === 'MULTI'
    ? entry.value === multiSignature(record)
    : entry.value === (record.value as ParsedValue).value);

/** Puts a record loaded from storage in the table's identity index. */
export const indexStoredRecord = (state: TableState, record: ValidRecord): void => {
  seriesTimes(state.identities, seriesKeyOf(record)).set(record.timeNs, identityEntryOf(record));
};

/** The times index of one series, created empty if the series has none yet. */
const seriesTimes = (identities: IdentityIndex, series: string): Map<bigint, IdentityEntry> => {
  let times = identities.get(series);
  if (times === undefined) {
    times = new Map();
    identities.set(series, times);
  }
  return times;
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

/** An identity a call changes: where its entry is, what it was before, the call's last record with it. */
interface IdentityChange {
  readonly times: Map<bigint, IdentityEntry>;
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
  // Keyed by the entry in the index, which stays the same object while the call changes it.
  const changes = new Map<IdentityEntry, IdentityChange>();
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
    const schemaProblem = checkSchema(state, record);
    if (schemaProblem !== undefined) {
      rejected.push({ ...schemaProblem, index });
      continue;
    }
    const times = seriesTimes(state.identities, seriesKeyOf(record));
    const time = record.timeNs;
    const existing = times.get(time);
    const change = existing === undefined ? undefined : changes.get(existing);
    if (existing !== undefined) {
      if (sameValue(existing, record)) {
        // An identical resend is accepted (Prometheus retries); a higher version only updates it.
        if (record.version > existing.version) {
          if (change === undefined) {
            changes.set(existing, { times, time, before: { ...existing }, record });
            deletes.push(record);
          } else change.record = record;
          existing.version = record.version;
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
      if (change === undefined) deletes.push(record);
    }
    if (applySchema(state, record)) schemaChanged = true;
    const entry = identityEntryOf(record);
    if (existing === undefined) {
      times.set(time, entry);
      changes.set(entry, { times, time, before: undefined, record });
    } else {
      if (change === undefined) changes.set(existing, { times, time, before: { ...existing }, record });
      else change.record = record;
      Object.assign(existing, entry);
    }
    ingest(record, index);
  }
  // Rejected records count nothing, and neither do the common attributes of a call that
  // ingested nothing.
  const writeBytes = ingested === 0 ? 0 : shared.dimensions + shared.measureName + ownBytes;
  return {
    rejected,
    inserts: Array.from(changes.values(), (change) => change.record),
    deletes,
    changes: [...changes.values()],
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
  for (const { times, time, before } of plan.changes) {
    if (before === undefined) times.delete(time);
    else times.set(time, before);
  }
};
