/** Remote read: `ReadRequest` in, `ReadResponse` (SAMPLES) out (prompb/remote.proto). */
import { assertReadContentType, assertSnappyEncoding } from './content-type.js';
import { CodecError } from './errors.js';
import { createRequestDecodeState, expectKnownWireType } from './messages.js';
import type { DecodedSeries } from './model.js';
import { compressSnappyBlock, decompressSnappyBlock, type SnappyOptions } from './snappy.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';
import { decodeTimeSeries, encodeTimeSeries, type SeriesInput } from './write-v1.js';

export const MATCHER_TYPES = ['EQ', 'NEQ', 'RE', 'NRE'] as const;
export type MatcherType = (typeof MATCHER_TYPES)[number];

export interface LabelMatcher {
  readonly type: MatcherType;
  readonly name: string;
  readonly value: string;
}

export interface ReadHints {
  readonly stepMs: number;
  readonly func: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly grouping: readonly string[];
  readonly by: boolean;
  readonly rangeMs: number;
}

export interface ReadQuery {
  /** Inclusive start, ms; clamped to ±(2^53 − 1) (Prometheus sends ±2^63-ish bounds for open ranges). */
  readonly startTimestampMs: number;
  /** Inclusive end, ms; clamped like the start. */
  readonly endTimestampMs: number;
  readonly matchers: readonly LabelMatcher[];
  readonly hints: ReadHints | null;
}

export const RESPONSE_TYPES = ['SAMPLES', 'STREAMED_XOR_CHUNKS'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

export interface DecodedReadRequest {
  readonly queries: readonly ReadQuery[];
  /**
   * In the client's order of preference, each type once; values this codec does not know are kept
   * as 'UNKNOWN' so a client asking only for a future type is not mistaken for one asking for nothing.
   */
  readonly acceptedResponseTypes: readonly (ResponseType | 'UNKNOWN')[];
}

/** Content-Type and Content-Encoding of a SAMPLES response; Prometheus ≥ 2.55 checks the type's prefix. */
export const SAMPLES_CONTENT_TYPE = 'application/x-protobuf';
export const SAMPLES_CONTENT_ENCODING = 'snappy';

/** Open-ended ranges arrive as values near ±2^63; clamp them instead of rejecting the query. */
const clampTimestamp = (timestampMs: number): number =>
  Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, timestampMs));

const decodeMatcher = (reader: ProtoReader, end: number): LabelMatcher => {
  let type = 0;
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.Varint:
        type = reader.uint32();
        break;
      case (2 << 3) | WireType.LengthDelimited:
        name = reader.string();
        break;
      case (3 << 3) | WireType.LengthDelimited:
        value = reader.string();
        break;
      default:
        expectKnownWireType(reader, tag, 1, 1, WireType.Varint, 'LabelMatcher');
        expectKnownWireType(reader, tag, 2, 3, WireType.LengthDelimited, 'LabelMatcher');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'LabelMatcher');
  const matcherType = MATCHER_TYPES[type];
  if (matcherType === undefined) throw new CodecError('invalid_data', `unknown label matcher type ${type}`);
  if (reader.sawInvalidUtf8) throw new CodecError('invalid_data', 'label matcher is not valid UTF-8');
  return { type: matcherType, name, value };
};

const decodeHints = (reader: ProtoReader, end: number): ReadHints => {
  let stepMs = 0;
  let func = '';
  let startMs = 0;
  let endMs = 0;
  const grouping: string[] = [];
  let by = false;
  let rangeMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.Varint:
        stepMs = clampTimestamp(reader.int64());
        break;
      case (2 << 3) | WireType.LengthDelimited:
        func = reader.string();
        break;
      case (3 << 3) | WireType.Varint:
        startMs = clampTimestamp(reader.int64());
        break;
      case (4 << 3) | WireType.Varint:
        endMs = clampTimestamp(reader.int64());
        break;
      case (5 << 3) | WireType.LengthDelimited:
        grouping.push(reader.string());
        break;
      case (6 << 3) | WireType.Varint:
        by = reader.bool();
        break;
      case (7 << 3) | WireType.Varint:
        rangeMs = clampTimestamp(reader.int64());
        break;
      default:
        expectKnownWireType(reader, tag, 1, 1, WireType.Varint, 'ReadHints');
        expectKnownWireType(reader, tag, 2, 2, WireType.LengthDelimited, 'ReadHints');
        expectKnownWireType(reader, tag, 3, 4, WireType.Varint, 'ReadHints');
        expectKnownWireType(reader, tag, 5, 5, WireType.LengthDelimited, 'ReadHints');
        expectKnownWireType(reader, tag, 6, 7, WireType.Varint, 'ReadHints');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'ReadHints');
  return { stepMs, func, startMs, endMs, grouping, by, rangeMs };
};

const decodeQuery = (reader: ProtoReader, end: number): ReadQuery => {
  let startTimestampMs = 0;
  let endTimestampMs = 0;
  const matchers: LabelMatcher[] = [];
  let hints: ReadHints | null = null;
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.Varint:
        startTimestampMs = clampTimestamp(reader.int64());
        break;
      case (2 << 3) | WireType.Varint:
        endTimestampMs = clampTimestamp(reader.int64());
        break;
      case (3 << 3) | WireType.LengthDelimited:
        reader.sawInvalidUtf8 = false;
        matchers.push(decodeMatcher(reader, reader.lengthDelimitedEnd()));
        break;
      case (4 << 3) | WireType.LengthDelimited:
        hints = decodeHints(reader, reader.lengthDelimitedEnd());
        break;
      default:
        expectKnownWireType(reader, tag, 1, 2, WireType.Varint, 'Query');
        expectKnownWireType(reader, tag, 3, 4, WireType.LengthDelimited, 'Query');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Query');
  return { startTimestampMs, endTimestampMs, matchers, hints };
};

/**
 * Adds a response type unless already listed: negotiation only needs each type's first position,
 * and a tiny body can otherwise repeat the field millions of times.
 */
const addResponseType = (into: (ResponseType | 'UNKNOWN')[], value: number): void => {
  const type = RESPONSE_TYPES[value] ?? 'UNKNOWN';
  if (!into.includes(type)) into.push(type);
};

/** Decodes an uncompressed `ReadRequest`. */
export const decodeReadRequestMessage = (bytes: Uint8Array): DecodedReadRequest => {
  const reader = new ProtoReader(bytes);
  const queries: ReadQuery[] = [];
  const acceptedResponseTypes: (ResponseType | 'UNKNOWN')[] = [];
  while (reader.pos < bytes.length) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.LengthDelimited:
        queries.push(decodeQuery(reader, reader.lengthDelimitedEnd()));
        break;
      case (2 << 3) | WireType.Varint:
        addResponseType(acceptedResponseTypes, reader.uint32());
        break;
      case (2 << 3) | WireType.LengthDelimited: {
        // Packed, as Prometheus ≥ 2.55 sends it: `12 02 01 00`.
        const end = reader.lengthDelimitedEnd();
        while (reader.pos < end) addResponseType(acceptedResponseTypes, reader.uint32());
        reader.assertEnd(end, 'packed accepted_response_types');
        break;
      }
      default:
        expectKnownWireType(reader, tag, 1, 1, WireType.LengthDelimited, 'ReadRequest');
        reader.skip(tag);
    }
  }
  return { queries, acceptedResponseTypes };
};

export interface ReadRequestHeaders {
  readonly contentType?: string | undefined;
  readonly contentEncoding?: string | undefined;
}

/**
 * Decodes a remote-read HTTP body: checks Content-Type and Content-Encoding, then decompresses
 * the snappy block of `ReadRequest` within the size cap (as `decodeWriteRequest` does for writes).
 *
 * @throws CodecError `unsupported_media_type` (415), `too_large` (413), or a 400 kind
 * @example
 * ```ts
 * const { queries, acceptedResponseTypes } = decodeReadRequest(body, {
 *   contentType: headers['content-type'],
 *   contentEncoding: headers['content-encoding'],
 * });
 * const type = negotiateResponseType(acceptedResponseTypes);
 * const results = queries.map((query) => ({ series: select(query.matchers, query.startTimestampMs, query.endTimestampMs) }));
 * const response = type === 'SAMPLES'
 *   ? { contentType: SAMPLES_CONTENT_TYPE, contentEncoding: SAMPLES_CONTENT_ENCODING, body: encodeReadResponse(results) }
 *   : { contentType: STREAMED_CONTENT_TYPE, body: Buffer.concat(results.flatMap((r, i) => encodeChunkedReadResponse(i, r.series))) };
 * ```
 */
export const decodeReadRequest = (
  body: Uint8Array,
  headers: ReadRequestHeaders = {},
  options: SnappyOptions = {},
): DecodedReadRequest => {
  assertReadContentType(headers.contentType);
  assertSnappyEncoding(headers.contentEncoding);
  return decodeReadRequestMessage(decompressSnappyBlock(body, options));
};

/**
 * Picks the response type: the first of the client's accepted types that the server supports, in
 * the client's order, as Prometheus's `NegotiateResponseType` does; an empty list means SAMPLES.
 */
export const negotiateResponseType = (
  accepted: DecodedReadRequest['acceptedResponseTypes'],
  supported: readonly ResponseType[] = RESPONSE_TYPES,
): ResponseType => {
  if (accepted.length === 0) {
    if (supported.includes('SAMPLES')) return 'SAMPLES';
  } else {
    for (const type of accepted) if (type !== 'UNKNOWN' && supported.includes(type)) return type;
  }
  throw new CodecError(
    'unsupported_response_type',
    `none of the accepted response types [${accepted.length === 0 ? 'SAMPLES' : accepted.join(', ')}] is supported; ` +
      `this server answers ${supported.join(' or ')}`,
  );
};

export interface QueryResultInput {
  /** Each series' samples must be in ascending time order: Prometheus silently drops unsorted ones. */
  readonly series: readonly SeriesInput[];
}

/** Encodes an uncompressed `ReadResponse`, one `QueryResult` per query in query order. */
export const encodeReadResponseMessage = (results: readonly QueryResultInput[]): Uint8Array => {
  const writer = new ProtoWriter(16384);
  for (const result of results) {
    writer.tag(1, WireType.LengthDelimited).fork();
    for (const series of result.series) encodeTimeSeries(writer, 1, series);
    writer.join();
  }
  return writer.finish();
};

/**
 * Encodes a SAMPLES response body: a snappy block of `ReadResponse`. Staleness markers are written
 * bit-exact. Send it with `SAMPLES_CONTENT_TYPE` and `SAMPLES_CONTENT_ENCODING`.
 */
export const encodeReadResponse = (results: readonly QueryResultInput[]): Uint8Array =>
  compressSnappyBlock(encodeReadResponseMessage(results));

export interface DecodedQueryResult {
  readonly series: readonly DecodedSeries[];
}

/** Decodes a SAMPLES response body (snappy block of `ReadResponse`), e.g. for clients and tests. */
export const decodeReadResponse = (body: Uint8Array, options: SnappyOptions = {}): DecodedQueryResult[] => {
  const bytes = decompressSnappyBlock(body, options);
  const reader = new ProtoReader(bytes);
  const results: DecodedQueryResult[] = [];
  const state = createRequestDecodeState();
  while (reader.pos < bytes.length) {
    const tag = reader.tag();
    if (tag === ((1 << 3) | WireType.LengthDelimited)) {
      const end = reader.lengthDelimitedEnd();
      const series: DecodedSeries[] = [];
      while (reader.pos < end) {
        const inner = reader.tag();
        if (inner === ((1 << 3) | WireType.LengthDelimited))
          series.push(decodeTimeSeries(reader, reader.lengthDelimitedEnd(), state));
        else {
          expectKnownWireType(reader, inner, 1, 1, WireType.LengthDelimited, 'QueryResult');
          reader.skip(inner);
        }
      }
      reader.assertEnd(end, 'QueryResult');
      results.push({ series });
    } else {
      expectKnownWireType(reader, tag, 1, 1, WireType.LengthDelimited, 'ReadResponse');
      reader.skip(tag);
    }
  }
  return results;
};

export interface ReadRequestInput {
  readonly queries: readonly {
    readonly startTimestampMs: number;
    readonly endTimestampMs: number;
    readonly matchers: readonly LabelMatcher[];
    readonly hints?: ReadHints;
  }[];
  readonly acceptedResponseTypes?: readonly ResponseType[];
}

/** Encodes a remote-read request body (snappy block), as a Prometheus client would send it. */
export const encodeReadRequest = (request: ReadRequestInput): Uint8Array => {
  const writer = new ProtoWriter(256);
  for (const query of request.queries) {
    writer.tag(1, WireType.LengthDelimited).fork();
    if (query.startTimestampMs !== 0) writer.tag(1, WireType.Varint).int64(query.startTimestampMs);
    if (query.endTimestampMs !== 0) writer.tag(2, WireType.Varint).int64(query.endTimestampMs);
    for (const matcher of query.matchers) {
      writer.tag(3, WireType.LengthDelimited).fork();
      const type = MATCHER_TYPES.indexOf(matcher.type);
      if (type > 0) writer.tag(1, WireType.Varint).uint32(type);
      if (matcher.name !== '') writer.tag(2, WireType.LengthDelimited).string(matcher.name);
      if (matcher.value !== '') writer.tag(3, WireType.LengthDelimited).string(matcher.value);
      writer.join();
    }
    const hints = query.hints;
    if (hints !== undefined) {
      writer.tag(4, WireType.LengthDelimited).fork();
      if (hints.stepMs !== 0) writer.tag(1, WireType.Varint).int64(hints.stepMs);
      if (hints.func !== '') writer.tag(2, WireType.LengthDelimited).string(hints.func);
      if (hints.startMs !== 0) writer.tag(3, WireType.Varint).int64(hints.startMs);
      if (hints.endMs !== 0) writer.tag(4, WireType.Varint).int64(hints.endMs);
      for (const group of hints.grouping) writer.tag(5, WireType.LengthDelimited).string(group);
      if (hints.by) writer.tag(6, WireType.Varint).uint32(1);
      if (hints.rangeMs !== 0) writer.tag(7, WireType.Varint).int64(hints.rangeMs);
      writer.join();
    }
    writer.join();
  }
  const accepted = request.acceptedResponseTypes ?? [];
  if (accepted.length > 0) {
    writer.tag(2, WireType.LengthDelimited).fork();
    for (const type of accepted) writer.uint32(RESPONSE_TYPES.indexOf(type));
    writer.join();
  }
  return compressSnappyBlock(writer.finish());
};
