/**
 * The Query answer parser: for every answer shape it reads what JSON.parse (the SDK's reading)
 * reads, every malformed answer is a 502, and on a real SDK client a 2xx QueryCommand is parsed
 * by it while every other answer still reaches the SDK's error handling.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { InvalidTimestreamAnswerError } from '../src/errors.js';
import {
  parseQueryAnswer,
  parseQueryAnswersDirectly,
  parseTimestamp,
  queryPageOf,
} from '../src/query-answer.js';

const body = (answer: unknown, indent?: number): Buffer => Buffer.from(JSON.stringify(answer, null, indent));

/** A page of one row of one cell. */
const pageOfRows = (rows: readonly (readonly object[])[]) =>
  parseQueryAnswer(body({ Rows: rows.map((Data) => ({ Data })), ColumnInfo: [] })).page;
const pageOf = (datum: object) => parseQueryAnswer(body({ Rows: [{ Data: [datum] }], ColumnInfo: [] })).page;

const COLUMNS = [
  { Name: 'text', Type: { ScalarType: 'VARCHAR' } },
  { Name: 'big', Type: { ScalarType: 'BIGINT' } },
  { Name: 'value', Type: { ScalarType: 'DOUBLE' } },
  { Name: 'flag', Type: { ScalarType: 'BOOLEAN' } },
  { Name: 'time', Type: { ScalarType: 'TIMESTAMP' } },
  { Name: 'day', Type: { ScalarType: 'DATE' } },
  { Name: 'clock', Type: { ScalarType: 'TIME' } },
  { Name: 'span', Type: { ScalarType: 'INTERVAL_DAY_TO_SECOND' } },
  { Name: 'series', Type: { TimeSeriesMeasureValueColumnInfo: { Type: { ScalarType: 'DOUBLE' } } } },
];
const ROWS = [
  {
    Data: [
      { ScalarValue: 'up' },
      { ScalarValue: '9007199254740993' },
      { ScalarValue: '13.5' },
      { ScalarValue: 'true' },
      { ScalarValue: '2021-05-06 06:35:38.123456789' },
      { ScalarValue: '2021-05-06' },
      { ScalarValue: '06:35:38.123456789' },
      { ScalarValue: '0 00:00:01.000000000' },
      { TimeSeriesValue: [{ Time: '2021-05-06 06:35:38.000000000', Value: { ScalarValue: '1.0' } }] },
    ],
  },
  {
    Data: [
      { ScalarValue: 'quote " backslash \\ tab \t nl \n é ✓ 😀' },
      { NullValue: true },
      { NullValue: true },
      { NullValue: true },
      { ScalarValue: '1970-01-01 00:00:00.000000000' },
      { NullValue: true },
      { NullValue: true },
      { NullValue: true },
      { ArrayValue: [{ ScalarValue: 'a' }, { NullValue: true }] },
    ],
  },
  { Data: [{ ScalarValue: '' }] },
  { Data: [] },
];
const STATUS = { ProgressPercentage: 100, CumulativeBytesScanned: 266145, CumulativeBytesMetered: 10000000 };
const ANSWER = {
  QueryId: 'AEBQEAMYNBGX7RA',
  NextToken: 'next+/=',
  Rows: ROWS,
  ColumnInfo: COLUMNS,
  QueryStatus: STATUS,
};

describe('parseQueryAnswer reads what JSON.parse reads', () => {
  it.each([
    { description: 'a compact answer (as Timestream writes it)', bytes: body(ANSWER) },
    { description: 'the same answer indented', bytes: body(ANSWER, 2) },
    {
      description: 'ColumnInfo before Rows, no NextToken',
      bytes: body({ ColumnInfo: COLUMNS, QueryId: 'Q', Rows: ROWS, QueryStatus: STATUS }),
    },
    {
      description: 'escaped keys and values, a row with another member',
      bytes: Buffer.from(
        '{"\\u0052ows":[{"Data":[{"Scalar\\u0056alue":"\\u0041\\/"},{"NullValue":true}],"Extra":[1,{"a":"]"}]}],"ColumnInfo":[]}',
      ),
    },
    {
      description: 'an empty first page',
      bytes: body({ QueryId: 'Q', NextToken: 't', Rows: [], ColumnInfo: COLUMNS }),
    },
  ])('$description', ({ bytes }) => {
    const expected = JSON.parse(bytes.toString('utf8'));
    const { page, fields } = parseQueryAnswer(bytes);

    // A row's members but Data are not in the model: the SDK drops them too.
    expect(page.toRows()).toEqual(expected.Rows.map(({ Data }: { Data: unknown }) => ({ Data })));
    expect(page.rowCount).toBe(expected.Rows.length);
    expect(page.columns).toEqual(expected.ColumnInfo);
    expect(page.nextToken).toBe(expected.NextToken);
    const { Rows: _, ...rest } = expected;
    expect(fields).toEqual(rest);
    expected.Rows.forEach((row: { Data: { ScalarValue?: string }[] }, index: number) => {
      for (let column = 0; column <= row.Data.length; column++) {
        expect(page.scalar(index, column)).toBe(row.Data[column]?.ScalarValue);
        expect(page.isScalar(index, column)).toBe(row.Data[column]?.ScalarValue !== undefined);
      }
    });
  });

  it('answers a negative or missing column as no scalar', () => {
    const { page } = parseQueryAnswer(body(ANSWER));
    expect(page.scalar(0, -1)).toBeUndefined();
    expect(page.scalar(3, 0)).toBeUndefined();
    expect(page.isScalar(0, 99)).toBe(false);
  });
});

describe('a page reads doubles as Number does', () => {
  it.each([
    '13.0',
    '0.0',
    '-0.0',
    '0.1',
    '-2.5',
    '123456789012345',
    '1234567890123456789',
    '0.30000000000000004',
    '1.0E-5',
    '5e-324',
    '1.7976931348623157E308',
    'NaN',
    'Infinity',
    '-Infinity',
    '12.',
    '.5',
    '',
    'abc',
  ])('%p', (text) => {
    expect(Object.is(pageOf({ ScalarValue: text }).double(0, 0), Number(text))).toBe(true);
  });
});

describe('a page reads timestamps as parseTimestamp does', () => {
  it.each([
    '2021-05-06 06:35:38.123456789',
    '1970-01-01 00:00:00.000000000',
    '2262-04-11 23:47:16.854775807',
    '2021-05-06 06:35:38',
    '2021-05-06 06:35:38.1',
  ])('%p', (text) => {
    expect(pageOf({ ScalarValue: text }).timestampMs(0, 0)).toBe(parseTimestamp(text));
  });

  it.each([
    { description: 'another format', datum: { ScalarValue: '2021-05-06T06:35:38Z' } },
    { description: 'letters for digits', datum: { ScalarValue: '2021-05-0x 06:35:38.123456789' } },
    { description: 'a NULL', datum: { NullValue: true } },
  ])('rejects $description with 502', ({ datum }) => {
    expect(() => pageOf(datum).timestampMs(0, 0)).toThrow(InvalidTimestreamAnswerError);
  });
});

describe('sameScalar', () => {
  const { page } = parseQueryAnswer(
    Buffer.from(
      '{"Rows":[{"Data":[{"ScalarValue":"A"},{"NullValue":true},{"ScalarValue":""}]},' +
        '{"Data":[{"ScalarValue":"A"},{"NullValue":true},{"NullValue":true}]},' +
        '{"Data":[{"ScalarValue":"\\u0041"},{"ScalarValue":"x"}]}],"ColumnInfo":[]}',
    ),
  );
  it.each([
    { description: 'equal bytes', a: 0, b: 1, column: 0, same: true },
    { description: 'two NULLs', a: 0, b: 1, column: 1, same: true },
    { description: 'an empty string and a NULL', a: 0, b: 1, column: 2, same: false },
    { description: 'a NULL and a missing cell', a: 1, b: 2, column: 2, same: true },
    { description: 'a NULL and a scalar', a: 0, b: 2, column: 1, same: false },
    // Only a hint: different bytes may be the same string; the caller then compares strings.
    { description: 'an escape and its character', a: 0, b: 2, column: 0, same: false },
  ])('$description: $same', ({ a, b, column, same }) => {
    expect(page.sameScalar(a, b, column)).toBe(same);
  });
});

describe('timestamps of one page that share their date and hour', () => {
  // The page keeps Date.UTC of the last date and hour it read: each row must still read as alone.
  it.each([
    {
      description: 'the same hour',
      texts: [
        '2021-05-06 06:35:38.123456789',
        '2021-05-06 06:59:59.999000000',
        '2021-05-06 06:00:00.000000000',
      ],
    },
    {
      description: 'the hour, then another, then the first again',
      texts: [
        '2021-05-06 06:35:38.123456789',
        '2021-05-06 07:00:00.000000000',
        '2021-05-06 06:35:39.000000000',
      ],
    },
    {
      description: 'a bad row between good ones of one hour',
      texts: [
        '2021-05-06 06:35:38.123456789',
        '2021-05-06 06:3x:38.123456789',
        '2021-05-06 06:35:40.000000000',
      ],
    },
    {
      description: 'out-of-range minutes and seconds (Date.UTC carries them)',
      texts: ['2021-12-31 23:00:00.000000000', '2021-12-31 23:99:99.999000000'],
    },
  ])('$description', ({ texts }) => {
    // Prepare
    const page = pageOfRows(texts.map((text) => [{ ScalarValue: text }]));
    // Act
    const read = texts.map((_, row) => {
      try {
        return page.timestampMs(row, 0);
      } catch (error) {
        return error instanceof InvalidTimestreamAnswerError ? 'invalid' : error;
      }
    });
    // Assess
    expect(read).toEqual(
      texts.map((text) => {
        try {
          return parseTimestamp(text);
        } catch {
          return 'invalid';
        }
      }),
    );
  });
});

describe('sameScalars', () => {
  const { page } = parseQueryAnswer(
    Buffer.from(
      '{"Rows":[{"Data":[{"ScalarValue":"a"},{"ScalarValue":"b"},{"ScalarValue":"c"}]},' +
        '{"Data":[{"ScalarValue":"a"},{"ScalarValue":"b"},{"ScalarValue":"c"}]},' +
        '{"Data":[{"ScalarValue":"a"},{"NullValue":true},{"ScalarValue":"c"}]},' +
        '{"Data":[{"ScalarValue":"a"},{"NullValue":true},{"ScalarValue":"c"}]},' +
        '{"Data":[{"NullValue":true},{"ScalarValue":"b"},{"ScalarValue":"c"}]},' +
        '{"Data":[{"NullValue":true},{"ScalarValue":"b"},{"ScalarValue":"c"}]},' +
        '{"Data":[{"ScalarValue":"a"},{"ScalarValue":"b"}]},' +
        '{"Data":[{"ScalarValue":"a"},{"ScalarValue":"bc"}]},' +
        '{"Data":[{"ScalarValue":"ab"},{"ScalarValue":"c"}]}],"ColumnInfo":[]}',
    ),
  );
  it.each([
    { description: 'the same cells', a: 0, b: 1, first: 0, last: 2, same: true },
    { description: 'a NULL against a scalar between', a: 0, b: 2, first: 0, last: 2, same: false },
    { description: 'a NULL in both between', a: 2, b: 3, first: 0, last: 2, same: true },
    { description: 'a NULL in both first (cell by cell)', a: 4, b: 5, first: 0, last: 2, same: true },
    { description: 'a missing last cell and a scalar', a: 0, b: 6, first: 0, last: 2, same: false },
    { description: 'one cell of the run', a: 0, b: 6, first: 1, last: 1, same: true },
    { description: 'runs as long, cut into cells elsewhere', a: 7, b: 8, first: 0, last: 1, same: false },
  ])('$description: $same', ({ a, b, first, last, same }) => {
    expect(page.sameScalars(a, b, first, last)).toBe(same);
    const cellByCell = Array.from({ length: last - first + 1 }, (_, i) => page.sameScalar(a, b, first + i));
    expect(cellByCell.every(Boolean)).toBe(same);
  });
});

describe('parseQueryAnswer with a malformed answer', () => {
  it.each([
    { description: 'an empty body', text: '' },
    { description: 'not JSON', text: 'Service Unavailable' },
    { description: 'a list', text: '[]' },
    { description: 'a cut answer', text: '{"Rows":[{"Data":[{"ScalarValue":"a"}' },
    { description: 'an unterminated string', text: '{"Rows":[{"Data":[{"ScalarValue":"a' },
    { description: 'a number for a ScalarValue', text: '{"Rows":[{"Data":[{"ScalarValue":1}]}]}' },
    { description: 'a NullValue that is not true', text: '{"Rows":[{"Data":[{"NullValue":false}]}]}' },
    { description: 'a row that is no object', text: '{"Rows":[5]}' },
    { description: 'Data that is no list', text: '{"Rows":[{"Data":{}}]}' },
    { description: 'a broken other datum', text: '{"Rows":[{"Data":[{"ArrayValue":[1,]}]}]}' },
    { description: 'ColumnInfo that is no list', text: '{"Rows":[],"ColumnInfo":5}' },
    { description: 'a NextToken that is no string', text: '{"Rows":[],"NextToken":5}' },
    { description: 'a broken member', text: '{"Rows":[],"QueryStatus":{"a":}}' },
    { description: 'more after the answer', text: '{"Rows":[]} {}' },
    { description: 'a missing comma', text: '{"Rows":[] "ColumnInfo":[]}' },
  ])('$description: 502', ({ text }) => {
    expect(() => parseQueryAnswer(Buffer.from(text))).toThrow(InvalidTimestreamAnswerError);
    expect(() => parseQueryAnswer(Buffer.from(text))).toThrow(
      expect.objectContaining({
        status: 502,
        message: expect.stringMatching(/^Timestream's Query answer is not/),
      }),
    );
  });
});

describe('parseQueryAnswersDirectly on an SDK client', () => {
  let server: Server;
  let endpoint: string;
  let answers: { status: number; body: string; headers?: Record<string, string> }[];
  let requests: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const answer = answers[Math.min(requests++, answers.length - 1)] ?? { status: 500, body: '' };
        response.writeHead(answer.status, {
          'content-type': 'application/x-amz-json-1.0',
          ...answer.headers,
        });
        response.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    requests = 0;
  });
  const client = () =>
    parseQueryAnswersDirectly(
      new TimestreamQueryClient({
        region: 'us-east-1',
        endpoint,
        maxAttempts: 3,
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      }),
    );

  it('gives the SDK output shape and the page, read once', async () => {
    answers = [{ status: 200, body: JSON.stringify(ANSWER) }];
    const output = await client().send(new QueryCommand({ QueryString: 'SELECT 1' }));
    expect(output.QueryId).toBe(ANSWER.QueryId);
    expect(output.NextToken).toBe(ANSWER.NextToken);
    expect(output.ColumnInfo).toEqual(COLUMNS);
    expect(output.QueryStatus).toEqual(STATUS);
    expect(output.Rows).toEqual(ROWS);
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(queryPageOf(output).scalar(0, 0)).toBe('up');
    expect(requests).toBe(1);
  });

  it.each([
    {
      description: 'a ValidationException',
      status: 400,
      type: 'com.amazonaws.timestream.v20181101#ValidationException',
      name: 'ValidationException',
      requests: 1,
    },
    // Retried by the SDK as before, then its error.
    {
      description: 'a ThrottlingException',
      status: 400,
      type: 'ThrottlingException',
      name: 'ThrottlingException',
      requests: 3,
    },
  ])('leaves $description to the SDK', async ({ status, type, name, requests: expected }) => {
    answers = [{ status, body: JSON.stringify({ __type: type, Message: 'no' }) }];
    await expect(client().send(new QueryCommand({ QueryString: 'SELECT 1' }))).rejects.toMatchObject({
      name,
      message: 'no',
    });
    expect(requests).toBe(expected);
  });

  it('answers a malformed 200 with a 502, not retried', async () => {
    answers = [{ status: 200, body: '{"Rows":[{"Data":[' }];
    await expect(client().send(new QueryCommand({ QueryString: 'SELECT 1' }))).rejects.toBeInstanceOf(
      InvalidTimestreamAnswerError,
    );
    expect(requests).toBe(1);
  });

  it('leaves other commands to the SDK', async () => {
    answers = [
      { status: 200, body: JSON.stringify({ Endpoints: [{ Address: 'a', CachePeriodInMinutes: 1 }] }) },
    ];
    const { DescribeEndpointsCommand } = await import('@aws-sdk/client-timestream-query');
    const output = await client().send(new DescribeEndpointsCommand({}));
    expect(output.Endpoints).toEqual([{ Address: 'a', CachePeriodInMinutes: 1 }]);
  });
});
