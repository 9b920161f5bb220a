export { CodecError, type CodecErrorKind } from './errors.js';
