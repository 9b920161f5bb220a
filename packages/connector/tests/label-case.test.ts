/**
 * Label names that differ only in letter case, as vmagent (`go_info_ext{GOARCH,GOOS}`) and
 * node_exporter (`node_exporter_build_info{goarch,goos}`) send them to one table: remote write
 * stores both, remote read tells them apart. Against the emulator, whose DuckDB tables are
 * case-insensitive underneath.
 */
import { decodeReadResponse, type LabelMatcher } from '@prometheus-timestream/codec';
import { type Harness, postRead, startHarness, text, writeBody } from '../support/harness.js';
import { expectedSeries, type StoredSeries, sortedLabels } from './helpers/oracle.js';

const T0 = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000;

const STORED: StoredSeries[] = [
  {
    labels: { __name__: 'go_info_ext', GOARCH: 'amd64', GOOS: 'linux', job: 'vmagent' },
    samples: [{ timestampMs: T0, value: 1 }],
  },
  {
    labels: { __name__: 'node_exporter_build_info', goarch: 'arm64', goos: 'darwin', job: 'node' },
    samples: [{ timestampMs: T0, value: 2 }],
  },
];

const m = (type: LabelMatcher['type'], name: string, value: string): LabelMatcher => ({ type, name, value });

describe('label names differing only in case, through remote write and remote read', () => {
  let h: Harness;
  let written: { status: number; body: string };
  beforeAll(async () => {
    h = await startHarness();
    const response = await h.post(
      writeBody(STORED.map((s) => ({ labels: sortedLabels(s.labels), samples: [...s.samples] }))),
    );
    written = { status: response.status, body: text(response) };
  });
  afterAll(() => h.stop());

  it('stores both series from one write request', () => {
    // Assess (the write ran in beforeAll, so each read below can run on its own)
    expect(written).toEqual({ status: 204, body: '' });
  });

  it.each([
    ['GOOS="linux"', [m('EQ', 'GOOS', 'linux')]],
    ['goos="linux" (no such series)', [m('EQ', 'goos', 'linux')]],
    ['goos="darwin"', [m('EQ', 'goos', 'darwin')]],
    ['GOOS=""', [m('EQ', 'GOOS', ''), m('RE', '__name__', '.+')]],
    ['goarch=~"arm.*"', [m('RE', 'goarch', 'arm.*')]],
    ['Goos="" (a spelling nobody wrote)', [m('EQ', 'Goos', ''), m('RE', '__name__', '.+')]],
  ])('reads %s back exactly', async (_, matchers) => {
    // Act
    const response = await postRead(h, {
      queries: [{ startTimestampMs: T0 - 60_000, endTimestampMs: T0 + 60_000, matchers }],
      acceptedResponseTypes: [],
    });

    // Assess
    expect(response.status).toBe(200);
    const [result] = decodeReadResponse(response.body as Uint8Array);
    const series = (result?.series ?? []).map((s) => ({
      labels: [...s.labels],
      samples: s.samples.map((sample): [number, number] => [sample.timestampMs, sample.value]),
    }));
    expect(series).toEqual(expectedSeries(STORED, matchers, T0 - 60_000, T0 + 60_000));
  });
});
