import {
  AccessDeniedException,
  InternalServerException,
  ThrottlingException,
} from '@aws-sdk/client-timestream-write';
import { DestinationMisconfiguredError, TimestreamUnavailableError } from '../src/errors.js';
import {
  classifyWriteError,
  rejectionReasonOf,
  type WriteRecordsCall,
  writeBatches,
} from '../src/timestream-write.js';
import type { WriteBatch } from '../src/translate.js';

const destination = { database: 'prom', table: 'metrics' };
const named = (name: string, message = 'boom') => Object.assign(new Error(message), { name });

describe('classifyWriteError: every WriteRecords failure gets the answer Prometheus needs', () => {
  it.each([
    {
      error: new ThrottlingException({ message: 'slow down', Message: 'slow down', $metadata: {} }),
      auth: 'passthrough',
      type: TimestreamUnavailableError,
      status: 503,
    },
    {
      error: new InternalServerException({ message: 'oops', Message: 'oops', $metadata: {} }),
      auth: 'passthrough',
      type: TimestreamUnavailableError,
      status: 503,
    },
    {
      error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      auth: 'passthrough',
      type: TimestreamUnavailableError,
      status: 503,
    },
    { error: named('TimeoutError'), auth: 'iam', type: TimestreamUnavailableError, status: 503 },
    { error: named('SomethingNobodyKnows'), auth: 'iam', type: TimestreamUnavailableError, status: 503 },
    { error: named('AbortError'), auth: 'iam', type: TimestreamUnavailableError, status: 503 },
    {
      error: named('ResourceNotFoundException'),
      auth: 'iam',
      type: DestinationMisconfiguredError,
      status: 503,
    },
    {
      error: new AccessDeniedException({ message: 'no', Message: 'no', $metadata: {} }),
      auth: 'passthrough',
      type: DestinationMisconfiguredError,
      status: 503,
    },
    {
      error: named('UnrecognizedClientException'),
      auth: 'passthrough',
      type: DestinationMisconfiguredError,
      status: 503,
    },
    {
      error: named('InvalidSignatureException'),
      auth: 'passthrough',
      type: DestinationMisconfiguredError,
      status: 503,
    },
    {
      error: named('ExpiredTokenException'),
      auth: 'passthrough',
      type: DestinationMisconfiguredError,
      status: 503,
    },
    {
      error: named('UnrecognizedClientException'),
      auth: 'iam',
      type: DestinationMisconfiguredError,
      status: 503,
    },
  ] as const)('$error.name ($auth) → $status', ({ error, auth, type, status }) => {
    const classified = classifyWriteError(error, destination, auth);
    expect(classified).toBeInstanceOf(type);
    expect(classified?.status).toBe(status);
    expect(classified?.cause).toBe(error);
  });

  it('sees through endpoint discovery to the error that made it fail (production has no custom endpoint)', () => {
    // What @aws-sdk/middleware-endpoint-discovery throws when DescribeEndpoints fails.
    const wrapped = Object.assign(
      new Error(
        'The operation to discover endpoint failed. Please retry, or provide a custom endpoint and disable endpoint discovery to proceed.',
      ),
      { reason: named('ResourceNotFoundException', 'no such table') },
    );
    expect(classifyWriteError(wrapped, destination, 'iam')?.message).toMatch(
      /^Timestream table "metrics" of database "prom" does not exist/,
    );
    const credentials = Object.assign(new Error('The operation to discover endpoint failed.'), {
      reason: named('UnrecognizedClientException'),
    });
    expect(classifyWriteError(credentials, destination, 'passthrough')?.message).toMatch(
      /^AWS did not accept the credentials of the basic-auth header/,
    );
  });

  it('leaves a ValidationException to be counted as a permanent rejection of the batch', () => {
    expect(classifyWriteError(named('ValidationException'), destination, 'iam')).toBeUndefined();
  });

  it('names the database and table when they are missing', () => {
    expect(classifyWriteError(named('ResourceNotFoundException'), destination, 'iam')?.message).toMatch(
      /^Timestream table "metrics" of database "prom" does not exist/,
    );
  });
});

describe('rejectionReasonOf', () => {
  it.each([
    {
      reason:
        'The record timestamp is outside the time range [2023-02-13T19:22:45.051Z, 2023-02-20T20:02:45.051Z) of the memory store.',
      category: 'outside_retention',
    },
    {
      reason:
        'A record already exists with the same time, dimensions, measure name, and record version. A higher record version must be specified in order to update the measure value.',
      category: 'conflicting_value',
    },
    {
      reason:
        'The record version 2 is lower than the existing version 200. A higher version is required to update the measure value.',
      category: 'conflicting_value',
    },
    { reason: 'The table would exceed the limit of 128 dimensions.', category: 'limit' },
    {
      reason: "Measure name 'job' is already used as a dimension name in this table.",
      category: 'name_clash',
    },
    {
      reason: "Dimension name 'up' is already used as a measure name in this table.",
      category: 'name_clash',
    },
    { reason: 'Something new', category: 'other' },
  ])('$category', ({ reason, category }) => {
    expect(rejectionReasonOf(reason)).toBe(category);
  });
});

describe('writeBatches', () => {
  const batch: WriteBatch = { records: 2, recordsAfter: 0, body: '{}' };
  const failingWith =
    (error: unknown): WriteRecordsCall =>
    () =>
      Promise.reject(error);
  const options = { concurrency: 2, signal: new AbortController().signal, auth: 'iam' as const };

  it('counts a RejectedRecordsException without usable indexes as the whole batch rejected, none written', async () => {
    const outcome = await writeBatches(
      failingWith(Object.assign(named('RejectedRecordsException'), { RejectedRecords: [] })),
      destination,
      [batch],
      options,
    );
    expect(outcome).toMatchObject({
      written: 0,
      rejected: 2,
      rejectedByReason: { other: 2 },
      failure: undefined,
    });
  });

  it('ignores rejected indexes outside the batch', async () => {
    const error = Object.assign(named('RejectedRecordsException'), {
      RejectedRecords: [
        { RecordIndex: 1, Reason: 'x' },
        { RecordIndex: 7, Reason: 'y' },
      ],
    });
    const outcome = await writeBatches(failingWith(error), destination, [batch], options);
    expect(outcome).toMatchObject({ written: 1, rejected: 1 });
  });
});
