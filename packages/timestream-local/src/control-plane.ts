/**
 * The control plane's rules: resource names, ARNs, retention and magnetic-store properties as
 * CreateTable and UpdateTable accept them, and DescribeTable's answer.
 */
import { TimestreamError, validationError } from './errors.js';
import type { MagneticStoreWriteProperties, RetentionProperties, TableState } from './tables.js';

export const DEFAULT_MEMORY_RETENTION_HOURS = 6;
export const DEFAULT_MAGNETIC_RETENTION_DAYS = 73000;
/**
 * Timestream's rule for database and table names. The emulator keeps its own copy of this and of
 * every limit on purpose: it is an independent model of the service, so it imports nothing of the
 * connector's, and a connector that got a rule wrong is caught against it.
 */
const RESOURCE_NAME = /^[a-zA-Z0-9_.-]{3,256}$/;
export const ACCOUNT = '123456789012';

export const notFound = (message: string) => new TimestreamError('ResourceNotFoundException', message);

export const checkResourceName = (name: unknown, what: string): string => {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${String(name)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and length 3 to 256`,
    );
  }
  return name;
};

export const describeTable = (state: TableState): Record<string, unknown> => ({
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

export const parseRetention = (
  value: unknown,
  current: RetentionProperties | undefined,
): RetentionProperties => {
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

export const parseMagneticWrites = (
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
