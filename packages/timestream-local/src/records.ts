/**
 * WriteRecords validation: merging CommonAttributes, the service's per-record limits, and parsing
 * of measure values and times. Pure functions; the store applies what they accept.
 */
import { validationError } from './errors.js';
import type { ScalarType } from './schema.js';

export type MeasureValueType = ScalarType | 'MULTI';
export type TimeUnit = 'MILLISECONDS' | 'SECONDS' | 'MICROSECONDS' | 'NANOSECONDS';

interface WireDimension {
  readonly Name?: unknown;
  readonly Value?: unknown;
  readonly DimensionValueType?: unknown;
}
interface WireMeasureValue {
  readonly Name?: unknown;
  readonly Value?: unknown;
  readonly Type?: unknown;
}
export interface WireRecord {
  readonly Dimensions?: readonly WireDimension[] | undefined;
  readonly MeasureName?: unknown;
  readonly MeasureValue?: unknown;
  readonly MeasureValueType?: unknown;
  readonly Time?: unknown;
  readonly TimeUnit?: unknown;
  readonly Version?: unknown;
  readonly MeasureValues?: readonly WireMeasureValue[] | undefined;
}

/** A value as stored: the DuckDB parameter and its size for metering. */
export interface ParsedValue {
  readonly type: ScalarType;
  readonly value: string | number | bigint | boolean;
  /** Bytes the metering formula counts: 8 for DOUBLE/BIGINT/TIMESTAMP, 1 for BOOLEAN, UTF-8 length for VARCHAR. */
  readonly bytes: number;
}

export interface ValidRecord {
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly measureName: string;
  readonly type: MeasureValueType;
  /** For single-measure records. */
  readonly value: ParsedValue | undefined;
  /** For MULTI records: name → value. */
  readonly measures: readonly { readonly name: string; readonly value: ParsedValue }[];
  readonly timeNs: bigint;
  readonly version: number;
  /** The record's size by the metering formula (time + dimensions + measure name + values). */
  readonly bytes: number;
}

/** Why a record is rejected (the RejectedRecords Reason) and a category for metering. */
export interface Rejection {
  readonly reason: string;
  readonly category:
    | 'limit'
    | 'reserved_name'
    | 'invalid_value'
    | 'retention'
    | 'duplicate'
    | 'version'
    | 'schema';
  readonly existingVersion?: number;
}

/**
 * Timestream's WriteRecords limits, as this emulator models them. They are stated here on purpose,
 * not imported from the connector (which has its own, e.g. MAX_RECORDS_PER_BATCH): the emulator is
 * an independent model of the service, so a limit the connector gets wrong fails against it
 * instead of agreeing with it. The same goes for its other rules (resource names, log levels).
 */
export const MAX_RECORDS_PER_WRITE = 100;
export const MAX_DIMENSION_NAME_BYTES = 60;
export const MAX_MEASURE_NAME_BYTES = 256;
export const MAX_RECORD_BYTES = 2048;
export const MAX_MEASURE_VALUE_CHARS = 2048;
export const MAX_MEASURES_PER_MULTI_RECORD = 256;

/**
 * UTF-8 bytes of a text. Asked several times for every record, of names and values that are
 * nearly always ASCII, whose length is their byte count: counting that in JavaScript is cheaper
 * than the call into Buffer.
 */
const utf8Length = (text: string): number => {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  }
  return text.length;
};

const SCALAR_TYPES: readonly MeasureValueType[] = [
  'DOUBLE',
  'BIGINT',
  'VARCHAR',
  'BOOLEAN',
  'TIMESTAMP',
  'MULTI',
];
const TIME_UNITS: Readonly<Record<TimeUnit, bigint>> = {
  NANOSECONDS: 1n,
  MICROSECONDS: 1_000n,
  MILLISECONDS: 1_000_000n,
  SECONDS: 1_000_000_000n,
};

/** Java's `Double.parseDouble` decimal syntax (what the service's Java front end accepts). */
const DOUBLE_SYNTAX = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/;
const DOUBLE_SUFFIX = /[dDfF]$/;
const INTEGER_SYNTAX = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const reject = (reason: string, category: Rejection['category'] = 'invalid_value'): Rejection => ({
  reason,
  category,
});

/**
 * Type-checks a request field of record `index` the way the service's model does (a
 * ValidationException naming it: `records.1.member.time`, or with an item of a list,
 * `records.1.member.dimensions.2.member.name`). The field's name is built only for the message:
 * asked for every field of every record, building it each time was garbage for nothing.
 */
const requireString = (value: unknown, index: number, member: string, item = 0, itemMember = ''): string => {
  if (typeof value !== 'string') {
    const field = `records.${index + 1}.member.${member}${item === 0 ? '' : `.${item}.member.${itemMember}`}`;
    throw validationError(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
};

/**
 * Merges CommonAttributes into a record, as the service does: a field set on the record wins,
 * dimensions are concatenated, and a dimension named in both is a ValidationException.
 */
export const mergeCommonAttributes = (common: WireRecord | undefined, record: WireRecord): WireRecord => {
  if (common === undefined) return record;
  const commonDimensions = common.Dimensions ?? [];
  const ownDimensions = record.Dimensions ?? [];
  for (const own of ownDimensions) {
    if (commonDimensions.some((c) => c.Name === own.Name)) {
      throw validationError(
        `Dimension ${String(own.Name)} is present in both the record and CommonAttributes; a dimension may be set in only one of them.`,
      );
    }
  }
  return {
    Dimensions: [...commonDimensions, ...ownDimensions],
    MeasureName: record.MeasureName ?? common.MeasureName,
    MeasureValue: record.MeasureValue ?? common.MeasureValue,
    MeasureValueType: record.MeasureValueType ?? common.MeasureValueType,
    Time: record.Time ?? common.Time,
    TimeUnit: record.TimeUnit ?? common.TimeUnit,
    Version: record.Version ?? common.Version,
    MeasureValues: record.MeasureValues ?? common.MeasureValues,
  };
};

/**
 * What write metering counts once per WriteRecords call when it comes from CommonAttributes.
 *
 * AWS's metering page (metering-and-pricing.writes, "Batching time series events and using common
 * attributes in a write") sizes a write as the common attributes once plus each event's own
 * fields: its example puts the dimensions region, az and vpc and the measure name in
 * CommonAttributes, counts them once per write, and keeps the time, the remaining dimension and
 * the measure value in every event. Only those two kinds of field are counted once here. Where
 * the page says nothing, the emulator meters conservatively, i.e. never less than the service
 * could bill:
 * - a `Time` given in CommonAttributes still counts 8 bytes in every record, as in the example
 *   every event carries its own timestamp;
 * - a `MeasureValue` or `MeasureValues` given in CommonAttributes counts in every record, as every
 *   event stores its value;
 * - a common `MeasureName` counts once per call even when some records name their own measure
 *   (it was sent, and is not subtracted from those records);
 * - `MeasureValueType`, `TimeUnit` and `Version` are not in the size formula and count nothing,
 *   wherever they are given.
 */
export interface CommonWriteBytes {
  /** UTF-8 bytes of the names and values of the common dimensions. */
  readonly dimensions: number;
  /** UTF-8 bytes of the common measure name (0 when none). */
  readonly measureName: number;
}

export const commonWriteBytes = (common: WireRecord | undefined): CommonWriteBytes => {
  let dimensions = 0;
  for (const dimension of common?.Dimensions ?? []) {
    if (typeof dimension.Name === 'string') dimensions += utf8Length(dimension.Name);
    if (typeof dimension.Value === 'string') dimensions += utf8Length(dimension.Value);
  }
  const measureName = typeof common?.MeasureName === 'string' ? utf8Length(common.MeasureName) : 0;
  return { dimensions, measureName };
};

/**
 * The bytes write metering counts for one accepted record itself: its metered size after merging
 * (`bytes`, which storage metering keeps using) less what it took from CommonAttributes and the
 * call counts once (the common dimensions, and the common measure name when the record names none).
 */
export const ownWriteBytes = (record: ValidRecord, wire: WireRecord, common: CommonWriteBytes): number => {
  const takesCommonMeasureName = wire.MeasureName === undefined || wire.MeasureName === null;
  return record.bytes - common.dimensions - (takesCommonMeasureName ? common.measureName : 0);
};

const reservedDimensionProblem = (name: string): string | undefined => {
  if (name === 'measure_name' || name === 'measure_value' || name === 'time') {
    return `Dimension name '${name}' is reserved.`;
  }
  if (name.startsWith('ts_') || name.startsWith('measure_value')) {
    return `Dimension name '${name}' starts with a reserved prefix (ts_ or measure_value).`;
  }
  if (name.includes(':')) return `Dimension name '${name}' contains the reserved character ':'.`;
  // An emulator limit, not Timestream's (whose documentation is silent on it): DuckDB cannot hold
  // a column named with NUL, and accepting one would leave the table unwritable.
  if (name.includes('\0'))
    return `Dimension name '${name.replaceAll('\0', '\\0')}' contains NUL, which timestream-local cannot store.`;
  return undefined;
};

const reservedMeasureProblem = (name: string): string | undefined =>
  name === 'time' || name === 'measure_name' || name === 'measure_value' || name.startsWith('measure_value::')
    ? `Measure name '${name}' is reserved.`
    : undefined;

/** Parses a measure value for its type; a string Rejection when it does not parse. */
export const parseValue = (raw: string, type: ScalarType, unit: TimeUnit): ParsedValue | Rejection => {
  if (raw.length === 0 || raw.length > MAX_MEASURE_VALUE_CHARS) {
    return reject(`Measure value must be 1 to ${MAX_MEASURE_VALUE_CHARS} characters long.`, 'limit');
  }
  switch (type) {
    case 'DOUBLE': {
      if (!DOUBLE_SYNTAX.test(raw)) {
        // The service documents that NaN and Infinity cannot be written; the emulator rejects
        // them per record (not the whole request), like any other value that does not parse.
        if (/^[+-]?(NaN|Infinity)$/i.test(raw)) {
          return reject(
            `Measure value ${raw} is not a finite DOUBLE; Timestream does not accept NaN or Infinity.`,
          );
        }
        return reject(`Measure value ${raw} is not a valid DOUBLE.`);
      }
      // Java's type suffix (`1.5d`) is not JavaScript's.
      const value = Number(DOUBLE_SUFFIX.test(raw) ? raw.slice(0, -1) : raw);
      if (!Number.isFinite(value)) return reject(`Measure value ${raw} is not a valid DOUBLE.`);
      return { type, value, bytes: 8 };
    }
    case 'BIGINT': {
      if (!INTEGER_SYNTAX.test(raw)) return reject(`Measure value ${raw} is not a valid BIGINT.`);
      const value = BigInt(raw);
      if (value < INT64_MIN || value > INT64_MAX)
        return reject(`Measure value ${raw} is out of range for BIGINT.`);
      return { type, value, bytes: 8 };
    }
    case 'BOOLEAN': {
      const lower = raw.toLowerCase();
      if (lower !== 'true' && lower !== 'false')
        return reject(`Measure value ${raw} is not a valid BOOLEAN.`);
      return { type, value: lower === 'true', bytes: 1 };
    }
    case 'TIMESTAMP': {
      if (!INTEGER_SYNTAX.test(raw) || raw.startsWith('-'))
        return reject(`Measure value ${raw} is not a valid TIMESTAMP.`);
      return { type, value: BigInt(raw) * TIME_UNITS[unit], bytes: 8 };
    }
    case 'VARCHAR':
      return { type, value: raw, bytes: utf8Length(raw) };
  }
};

const isRejection = (value: unknown): value is Rejection =>
  typeof value === 'object' && value !== null && 'reason' in value && 'category' in value;

/**
 * Validates one merged record. Structural problems (a missing required field, an unknown enum
 * value) are ValidationExceptions for the whole request, as the service's model checks them before
 * ingesting anything; problems with the data itself reject just this record.
 */
export const validateRecord = (record: WireRecord, index: number): ValidRecord | Rejection => {
  const measureName = requireString(record.MeasureName, index, 'measureName');
  const typeName = record.MeasureValueType ?? 'DOUBLE';
  if (typeof typeName !== 'string' || !SCALAR_TYPES.includes(typeName as MeasureValueType)) {
    throw validationError(
      `1 validation error detected: Value '${String(typeName)}' at 'records.${index + 1}.member.measureValueType' failed to satisfy constraint: Member must satisfy enum value set: [DOUBLE, BIGINT, VARCHAR, BOOLEAN, TIMESTAMP, MULTI]`,
    );
  }
  const type = typeName as MeasureValueType;
  const unitName = record.TimeUnit ?? 'MILLISECONDS';
  if (typeof unitName !== 'string' || !(unitName in TIME_UNITS)) {
    throw validationError(
      `1 validation error detected: Value '${String(unitName)}' at 'records.${index + 1}.member.timeUnit' failed to satisfy constraint: Member must satisfy enum value set: [MILLISECONDS, SECONDS, MICROSECONDS, NANOSECONDS]`,
    );
  }
  const unit = unitName as TimeUnit;
  const rawTime = requireString(record.Time, index, 'time');
  const version = record.Version ?? 1;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw validationError(`Record version must be a positive integer, got ${String(version)}.`);
  }

  const dimensions: { name: string; value: string }[] = [];
  const measureNameBytes = utf8Length(measureName);
  let bytes = 8 + measureNameBytes;
  for (const [i, dimension] of (record.Dimensions ?? []).entries()) {
    const name = requireString(dimension.Name, index, 'dimensions', i + 1, 'name');
    const value = requireString(dimension.Value, index, 'dimensions', i + 1, 'value');
    if (dimension.DimensionValueType !== undefined && dimension.DimensionValueType !== 'VARCHAR') {
      throw validationError(
        `Dimension value type ${String(dimension.DimensionValueType)} is not supported; only VARCHAR.`,
      );
    }
    const nameBytes = utf8Length(name);
    if (name.length === 0 || nameBytes > MAX_DIMENSION_NAME_BYTES) {
      return reject(`Dimension name '${name}' must be 1 to ${MAX_DIMENSION_NAME_BYTES} bytes long.`, 'limit');
    }
    const reserved = reservedDimensionProblem(name);
    if (reserved !== undefined) return reject(reserved, 'reserved_name');
    if (dimensions.some((d) => d.name === name))
      return reject(`Dimension name '${name}' appears more than once.`, 'schema');
    dimensions.push({ name, value });
    bytes += nameBytes + utf8Length(value);
  }
  if (measureName.length === 0 || measureNameBytes > MAX_MEASURE_NAME_BYTES) {
    return reject(`Measure name must be 1 to ${MAX_MEASURE_NAME_BYTES} bytes long.`, 'limit');
  }
  const reservedMeasure = reservedMeasureProblem(measureName);
  if (reservedMeasure !== undefined) return reject(reservedMeasure, 'reserved_name');
  if (dimensions.some((d) => d.name === measureName)) {
    return reject(`Measure name '${measureName}' is also the name of a dimension of the record.`, 'schema');
  }

  if (!/^\d+$/.test(rawTime)) return reject(`Time ${rawTime} is not a non-negative integer in ${unit}.`);
  const timeNs = BigInt(rawTime) * TIME_UNITS[unit];

  let value: ParsedValue | undefined;
  const measures: { name: string; value: ParsedValue }[] = [];
  if (type === 'MULTI') {
    const values = record.MeasureValues ?? [];
    if (record.MeasureValue !== undefined) {
      throw validationError(
        'MeasureValue must not be set when MeasureValueType is MULTI; use MeasureValues.',
      );
    }
    if (values.length === 0 || values.length > MAX_MEASURES_PER_MULTI_RECORD) {
      return reject(`A multi-measure record holds 1 to ${MAX_MEASURES_PER_MULTI_RECORD} measures.`, 'limit');
    }
    let valueBytes = 0;
    for (const [i, measure] of values.entries()) {
      const name = requireString(measure.Name, index, 'measureValues', i + 1, 'name');
      const raw = requireString(measure.Value, index, 'measureValues', i + 1, 'value');
      const measureType = requireString(measure.Type, index, 'measureValues', i + 1, 'type');
      if (!SCALAR_TYPES.includes(measureType as MeasureValueType) || measureType === 'MULTI') {
        throw validationError(`Measure value type ${measureType} is not valid inside MeasureValues.`);
      }
      if (name.length === 0 || utf8Length(name) > MAX_MEASURE_NAME_BYTES) {
        return reject(`Measure name '${name}' must be 1 to ${MAX_MEASURE_NAME_BYTES} bytes long.`, 'limit');
      }
      const reserved = reservedMeasureProblem(name) ?? reservedDimensionProblem(name);
      if (reserved !== undefined) return reject(reserved, 'reserved_name');
      if (measures.some((m) => m.name === name) || dimensions.some((d) => d.name === name)) {
        return reject(`Measure name '${name}' appears more than once in the record.`, 'schema');
      }
      const parsed = parseValue(raw, measureType as ScalarType, unit);
      if (isRejection(parsed)) return parsed;
      measures.push({ name, value: parsed });
      valueBytes += parsed.bytes;
      bytes += utf8Length(name) + parsed.bytes;
    }
    if (valueBytes > MAX_MEASURE_VALUE_CHARS) {
      return reject(
        `The measure values of a multi-measure record exceed ${MAX_MEASURE_VALUE_CHARS} bytes.`,
        'limit',
      );
    }
  } else {
    if (record.MeasureValues !== undefined) {
      throw validationError(`MeasureValues may only be set when MeasureValueType is MULTI.`);
    }
    const raw = requireString(record.MeasureValue, index, 'measureValue');
    const parsed = parseValue(raw, type, unit);
    if (isRejection(parsed)) return parsed;
    value = parsed;
    bytes += parsed.bytes;
  }
  if (bytes > MAX_RECORD_BYTES)
    return reject(`The record size ${bytes} bytes exceeds the limit of ${MAX_RECORD_BYTES} bytes.`, 'limit');
  return { dimensions, measureName, type, value, measures, timeNs, version, bytes };
};

export const toRejection = (value: ValidRecord | Rejection): Rejection | undefined =>
  isRejection(value) ? value : undefined;
