/**
 * Admission from a request's head, and the one function that turns an error into its answer.
 */
import { CodecError, type CodecErrorKind } from '@prometheus-timestream/codec';
import { type AdmissionPolicy, admit, admitBodySize, createAuthenticator } from '../src/admission.js';
import { answerError, errorAnswer, fromCodecError } from '../src/answer.js';
import {
  BadRequestError,
  MethodNotAllowedError,
  TimestreamUnavailableError,
  UnauthorizedError,
} from '../src/errors.js';
import type { Route } from '../src/request.js';
import { configOf, head, READ_HEADERS, V2_CONTENT_TYPE, WRITE_HEADERS } from './helpers/fakes.js';

const passthrough: AdmissionPolicy = { maxBodyBytes: 10, authenticate: createAuthenticator(configOf()) };

describe('admit: the checks in order, each refusal with its status', () => {
  it.each<{
    description: string;
    overrides: Parameters<typeof head>[0];
    route: Route | undefined;
    status: number;
    message: RegExp;
  }>([
    {
      description: 'a body one byte over the limit, before anything else',
      overrides: { method: 'GET', bodyLength: 11, headers: {} },
      route: undefined,
      status: 413,
      message: /^request body of 11 bytes exceeds 10$/,
    },
    {
      description: 'no route',
      overrides: { path: '/metrics' },
      route: undefined,
      status: 404,
      message: /^not found: POST remote-write bodies to \/write and remote-read bodies to \/read$/,
    },
    {
      description: 'a GET, before credentials',
      overrides: { method: 'GET', headers: {} },
      route: 'write',
      status: 405,
      message: /^method GET is not allowed here; use POST$/,
    },
    {
      description: 'a remote read sent to the write route, before credentials',
      overrides: { headers: { ...READ_HEADERS, authorization: undefined } },
      route: 'write',
      status: 400,
      message: /^this is a remote-read request sent to \/write: point remote_read's url at …\/read/,
    },
    {
      description: 'no credentials, before the media type',
      overrides: { headers: { ...WRITE_HEADERS, authorization: undefined, 'content-type': 'text/plain' } },
      route: 'write',
      status: 401,
      message: /^missing Authorization header: configure Prometheus remote_write basic_auth/,
    },
    {
      description: 'a write Content-Type that is no protobuf',
      overrides: { headers: { ...WRITE_HEADERS, 'content-type': 'application/json' } },
      route: 'write',
      status: 415,
      message: /^unsupported Content-Type "application\/json": expected application\/x-protobuf$/,
    },
    {
      description: 'a read Content-Type that is no protobuf',
      overrides: { path: '/read', headers: { ...READ_HEADERS, 'content-type': 'text/plain' } },
      route: 'read',
      status: 415,
      message: /^unsupported Content-Type "text\/plain": expected application\/x-protobuf$/,
    },
    {
      description: 'a read compressed otherwise than with snappy',
      overrides: { path: '/read', headers: { ...READ_HEADERS, 'content-encoding': 'gzip' } },
      route: 'read',
      status: 415,
      message: /^unsupported Content-Encoding "gzip": only snappy is accepted$/,
    },
  ])('refuses $description: $status', ({ overrides, route, status, message }) => {
    expect(() => admit(head(overrides), route, passthrough)).toThrow(
      expect.objectContaining({ status, message: expect.stringMatching(message) }),
    );
  });

  it.each([
    { description: 'a write at the body limit', overrides: { bodyLength: 10 }, route: 'write' as const },
    {
      description: 'a 2.0 write',
      overrides: { headers: { ...WRITE_HEADERS, 'content-type': V2_CONTENT_TYPE } },
      route: 'write' as const,
    },
    { description: 'a read', overrides: { path: '/read', headers: READ_HEADERS }, route: 'read' as const },
    {
      description: 'a read without Content-Type or version header',
      overrides: { path: '/read', headers: { authorization: READ_HEADERS.authorization } },
      route: 'read' as const,
    },
  ])('admits $description with the caller credentials', ({ overrides, route }) => {
    expect(admit(head(overrides), route, passthrough)).toEqual({
      route,
      credentials: { accessKeyId: 'AKIDUNIT', secretAccessKey: 'secret' },
    });
  });
});

describe('admitBodySize', () => {
  it.each([
    { bodyLength: 0, refused: false },
    { bodyLength: 10, refused: false },
    { bodyLength: 11, refused: true },
  ])('$bodyLength bytes against a limit of 10: refused $refused', ({ bodyLength, refused }) => {
    const check = () => admitBodySize({ bodyLength }, 10);
    if (refused) expect(check).toThrow(expect.objectContaining({ status: 413 }));
    else expect(check).not.toThrow();
  });
});

describe('createAuthenticator in iam mode with a bearer token', () => {
  const authenticate = createAuthenticator({
    auth: 'iam',
    authToken: 'the-token',
    iamAuthorizedRoutes: ['write'],
  });
  const bearer = { 'content-type': 'application/x-protobuf', authorization: 'Bearer the-token' };

  it.each<{
    description: string;
    route: Route;
    headers: Record<string, string>;
    upstream: boolean;
    admitted: boolean;
  }>([
    { description: 'the token', route: 'read', headers: bearer, upstream: false, admitted: true },
    { description: 'no token', route: 'read', headers: {}, upstream: false, admitted: false },
    {
      description: 'a wrong token',
      route: 'write',
      headers: { authorization: 'Bearer nope' },
      upstream: false,
      admitted: false,
    },
    {
      description: 'IAM upstream on a route IAM authorizes',
      route: 'write',
      headers: {},
      upstream: true,
      admitted: true,
    },
    // API Gateway authorizes only write with IAM: an event claiming IAM for read still needs the token.
    {
      description: 'IAM upstream on a route IAM does not authorize',
      route: 'read',
      headers: {},
      upstream: true,
      admitted: false,
    },
  ])('$description on $route: admitted $admitted', ({ route, headers, upstream, admitted }) => {
    const check = () =>
      authenticate(head({ headers, ...(upstream ? { authorizedUpstream: 'iam' as const } : {}) }), route);
    if (admitted) expect(check()).toBeUndefined();
    else expect(check).toThrow(UnauthorizedError);
  });
});

describe('fromCodecError: every codec error kind has its status', () => {
  it.each<{ kind: CodecErrorKind; status: number; message: string }>([
    { kind: 'snappy', status: 400, message: 'malformed request: boom' },
    { kind: 'protobuf', status: 400, message: 'malformed request: boom' },
    { kind: 'invalid_data', status: 400, message: 'malformed request: boom' },
    { kind: 'timestamp_out_of_range', status: 400, message: 'malformed request: boom' },
    { kind: 'too_large', status: 413, message: 'boom' },
    { kind: 'unsupported_media_type', status: 415, message: 'boom' },
    { kind: 'unsupported_response_type', status: 400, message: 'boom' },
  ])('$kind → $status', ({ kind, status, message }) => {
    const error = new CodecError(kind, 'boom');
    const mapped = fromCodecError(error);
    expect([mapped.status, mapped.message]).toEqual([status, message]);
    expect(mapped.cause).toBe(error);
  });
});

describe('answerError: any error as its answer, headers included', () => {
  const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };
  const CHALLENGE = 'Basic realm="test"';

  it.each([
    {
      description: 'a 405 names the methods allowed',
      error: new MethodNotAllowedError('PUT', 'POST'),
      status: 405,
      headers: { ...TEXT, 'X-Route': 'yes', Allow: 'POST' },
    },
    {
      description: 'a 401 carries the challenge',
      error: new UnauthorizedError('who are you'),
      status: 401,
      headers: { ...TEXT, 'X-Route': 'yes', 'WWW-Authenticate': CHALLENGE },
    },
    {
      description: 'a 503 carries the route headers',
      error: new TimestreamUnavailableError('later'),
      status: 503,
      headers: { ...TEXT, 'X-Route': 'yes' },
    },
  ])('$description', ({ error, status, headers }) => {
    const answer = answerError(error, { challenge: CHALLENGE, headers: { 'X-Route': 'yes' } });
    expect(answer.response.status).toBe(status);
    expect(answer.response.headers).toEqual(headers);
    expect(answer.response.body).toBe(`${error.message}\n`);
    expect(answer.unexpected).toBeUndefined();
  });

  it('logs the log message, which leaves out the label values the answer may name', () => {
    const error = new BadRequestError('label "secret-value" is too long', {
      logMessage: 'a label is too long',
    });
    expect(answerError(error).log).toEqual({ error: 'a label is too long' });
  });

  it.each([
    { description: 'a plain Error', error: new Error('bug') },
    { description: 'a thrown string', error: 'bug' },
    // From encoding an answer, so the connector's bug, not a malformed request.
    { description: 'a CodecError', error: new CodecError('invalid_data', 'bug') },
  ])('answers $description 500, without the route headers, its stack for the log', ({ error }) => {
    const answer = answerError(error, { headers: { 'X-Route': 'yes' } });
    expect(answer.response).toEqual({
      status: 500,
      headers: TEXT,
      body: 'internal error; see the connector log\n',
    });
    expect(answer.unexpected).toMatch(/bug/);
  });

  it('errorAnswer without a challenge sends no WWW-Authenticate', () => {
    expect(errorAnswer(new UnauthorizedError('no')).headers).toEqual(TEXT);
  });
});
