import {
  AccessDeniedException,
  InternalServerException,
  ThrottlingException,
} from '@aws-sdk/client-timestream-write';
import {
  DestinationMisconfiguredError,
  TimestreamUnavailableError,
  UnauthorizedError,
} from '../src/errors.js';
import { classifyWriteError, rejectionReasonOf } from '../src/timestream-write.js';

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
      type: UnauthorizedError,
      status: 401,
    },
    { error: named('InvalidSignatureException'), auth: 'passthrough', type: UnauthorizedError, status: 401 },
    { error: named('ExpiredTokenException'), auth: 'passthrough', type: UnauthorizedError, status: 401 },
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
    { reason: 'Something new', category: 'other' },
  ])('$category', ({ reason, category }) => {
    expect(rejectionReasonOf(reason)).toBe(category);
  });
});
