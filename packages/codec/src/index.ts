/**
 * Public API of the codec: bytes in, typed values out. Pure functions, no AWS, HTTP or Lambda
 * imports; every failure is a `CodecError` with a machine-readable `kind`.
 */
export {
  type ChunkedReadFrameSeries,
  type ChunkedReadSeries,
  DEFAULT_MAX_BYTES_IN_FRAME,
  DEFAULT_MAX_DECODED_SAMPLES,
  DEFAULT_MAX_FRAME_BYTES,
  decodeChunkedReadResponse,
  encodeChunkedReadResponse,
  STREAMED_CONTENT_TYPE,
} from './chunked-read.js';
export {
  assertReadContentType,
  assertSnappyEncoding,
  selectWriteVersion,
  WRITE_CONTENT_TYPES,
} from './content-type.js';
export { crc32c } from './crc32c.js';
export { CodecError, type CodecErrorKind, printable } from './errors.js';
export { compareUtf8, METRIC_NAME_LABEL } from './labels.js';
export type {
  BucketSpan,
  DecodedSeries,
  DecodedWriteRequest,
  DecodedWriteSeries,
  Exemplar,
  FloatSample,
  InvalidLabelsReason,
  Label,
  MetricMetadata,
  MetricType,
  NativeHistogram,
  RemoteWriteVersion,
  SampleColumns,
  SampleInput,
  SeriesInput,
  WriteRequestCounts,
  WriteRequestInput,
} from './model.js';
export { samplesOf, seriesWithSamples } from './model.js';
export {
  type DecodedQueryResult,
  type DecodedReadRequest,
  decodeReadRequest,
  decodeReadResponse,
  encodeReadRequest,
  encodeReadResponse,
  type LabelMatcher,
  type MatcherType,
  negotiateResponseType,
  type QueryResultInput,
  type ReadHints,
  type ReadQuery,
  type ReadRequestHeaders,
  type ReadRequestInput,
  type ResponseType,
  SAMPLES_CONTENT_ENCODING,
  SAMPLES_CONTENT_TYPE,
} from './read.js';
export {
  compressSnappyBlock,
  DEFAULT_MAX_DECODED_BYTES,
  decodedLengthOfSnappyBlock,
  decompressSnappyBlock,
  type SnappyOptions,
} from './snappy.js';
export { decodeWriteRequest, type WriteRequestHeaders } from './write.js';
export { decodeWriteRequestV1, encodeWriteRequestV1 } from './write-v1.js';
export { decodeWriteRequestV2, encodeWriteRequestV2 } from './write-v2.js';
export { decodeXorChunk, encodeXorChunk, MAX_SAMPLES_PER_XOR_CHUNK } from './xor-chunk.js';
