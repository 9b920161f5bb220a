/** Remote read: `ReadRequest` in, `ReadResponse` (SAMPLES) out (prompb/remote.proto). */
import { assertReadContentType, assertSnappyEncoding } from './content-type.js';
import { CodecError } from './errors.js';
import { createRequestDecodeState, type RequestDecodeState } from './interner.js';
import { decodeTimeSeries, encodeTimeSeries } from './messages.js';
import type { DecodedSeries, SeriesInput } from './model.js';
import { compressSnappyBlock, decompressSnappyBlock, type SnappyOptions } from './snappy.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';

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
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'LabelMatcher field 1');
        type = reader.uint32();
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'LabelMatcher field 2');
        name = reader.string();
        break;
      case 3:
        reader.expect(wireType, WireType.LengthDelimited, 'LabelMatcher field 3');
        value = reader.string();
        break;
      default:
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
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'ReadHints field 1');
        stepMs = clampTimestamp(reader.int64());
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'ReadHints field 2');
        func = reader.string();
        break;
      case 3:
        reader.expect(wireType, WireType.Varint, 'ReadHints field 3');
        startMs = clampTimestamp(reader.int64());
        break;
      case 4:
        reader.expect(wireType, WireType.Varint, 'ReadHints field 4');
        endMs = clampTimestamp(reader.int64());
        break;
      case 5:
        reader.expect(wireType, WireType.LengthDelimited, 'ReadHints field 5');
        grouping.push(reader.string());
        break;
      case 6:
        reader.expect(wireType, WireType.Varint, 'ReadHints field 6');
        by = reader.bool();
        break;
      case 7:
        reader.expect(wireType, WireType.Varint, 'ReadHints field 7');
        rangeMs = clampTimestamp(reader.int64());
        break;
      default:
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
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'Query field 1');
        startTimestampMs = clampTimestamp(reader.int64());
        break;
      case 2:
        reader.expect(wireType, WireType.Varint, 'Query field 2');
        endTimestampMs = clampTimestamp(reader.int64());
        break;
      case 3:
        reader.expect(wireType, WireType.LengthDelimited, 'Query field 3');
        reader.sawInvalidUtf8 = false;
        matchers.push(decodeMatcher(reader, reader.lengthDelimitedEnd()));
        break;
      case 4:
        reader.expect(wireType, WireType.LengthDelimited, 'Query field 4');
        hints = decodeHints(reader, reader.lengthDelimitedEnd());
        break;
      default:
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
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'ReadRequest field 1');
        queries.push(decodeQuery(reader, reader.lengthDelimitedEnd()));
        break;
      case 2:
        if (wireType === WireType.Varint) addResponseType(acceptedResponseTypes, reader.uint32());
        else if (wireType === WireType.LengthDelimited) {
          // Packed, as Prometheus ≥ 2.55 sends it: `12 02 01 00`.
          const end = reader.lengthDelimitedEnd();
          while (reader.pos < end) addResponseType(acceptedResponseTypes, reader.uint32());
          reader.assertEnd(end, 'packed accepted_response_types');
        } else reader.skip(tag); // another wire type is skipped like an unknown field, not refused
        break;
      default:
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

const decodeQueryResult = (
  reader: ProtoReader,
  end: number,
  state: RequestDecodeState,
): DecodedQueryResult => {
  const series: DecodedSeries[] = [];
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'QueryResult field 1');
        series.push(decodeTimeSeries(reader, reader.lengthDelimitedEnd(), state));
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'QueryResult');
  return { series };
};

/** Decodes a SAMPLES response body (snappy block of `ReadResponse`), e.g. for clients and tests. */
export const decodeReadResponse = (body: Uint8Array, options: SnappyOptions = {}): DecodedQueryResult[] => {
  const bytes = decompressSnappyBlock(body, options);
  const reader = new ProtoReader(bytes);
  const results: DecodedQueryResult[] = [];
  const state = createRequestDecodeState();
  while (reader.pos < bytes.length) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'ReadResponse field 1');
        results.push(decodeQueryResult(reader, reader.lengthDelimitedEnd(), state));
        break;
      default:
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
