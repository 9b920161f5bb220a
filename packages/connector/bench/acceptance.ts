/**
 * The report's first table: each figure issue 19's acceptance names, as this run measured it,
 * beside its goal. A section left out with `--only` leaves its rows out.
 */
import type { ColdStartFigures } from './coldstart.js';
import type { CostFigures } from './cost.js';
import type { IngestFigures } from './ingest.js';
import type { LatencyFigures } from './latency.js';
import type { WorstCaseMemoryFigures } from './memory.js';
import type { ConcurrentWorstCaseFigures, SlowTimestreamFigures } from './overload.js';
import type { ReadFigures } from './read.js';

export interface MeasuredSections {
  readonly ingest500?: IngestFigures;
  readonly ingest2000?: IngestFigures;
  readonly latency?: LatencyFigures;
  readonly coldStart?: ColdStartFigures;
  readonly read?: ReadFigures;
  readonly cost500?: CostFigures;
  readonly cost2000?: CostFigures;
  readonly memory?: WorstCaseMemoryFigures;
  readonly concurrentWorstCases?: ConcurrentWorstCaseFigures;
  readonly slowTimestream?: SlowTimestreamFigures;
}

/**
 * Write units per million samples before issue 19 (the README's figures; deterministic, so one
 * run is the figure): the goal is not to rise above them.
 */
const WRITE_UNITS_BEFORE = { 500: 69_865, 2000: 65_000 } as const;

const MIB = 1024 * 1024;
const thousands = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

type Row = readonly [figure: string, measured: string, goal: string, met: boolean];

const writeRows = ({ ingest500, ingest2000, memory }: MeasuredSections): Row[] => {
  const ingests = [ingest500, ingest2000].filter((figures) => figures !== undefined);
  const rows: Row[] = ingests.flatMap((figures): Row[] => [
    [
      `ingest, ${figures.samplesPerRequest} samples per request: samples per connector CPU-second`,
      thousands(figures.samplesPerCpuSecond.connector),
      '≥ 300,000',
      figures.samplesPerCpuSecond.connector >= 300_000,
    ],
    [
      `ingest, ${figures.samplesPerRequest} samples per request: connector / VictoriaMetrics`,
      figures.connectorToVictoriaMetrics.toFixed(3),
      '≥ 0.4 (project goal ≥ 1.0)',
      figures.connectorToVictoriaMetrics >= 0.4,
    ],
  ]);
  if (ingests.length > 0) {
    const peak = Math.max(...ingests.map((figures) => figures.peakRssBytes.connector));
    rows.push([
      'connector peak RSS during the ingest section (the larger median of the two sizes)',
      mib(peak),
      '≤ 90 MiB',
      peak <= 90 * MIB,
    ]);
  }
  if (memory !== undefined)
    rows.push([
      'heap per decoded byte of a worst-case body',
      memory.heap.heapPerDecodedByte.toFixed(1),
      '≤ 4',
      memory.heap.heapPerDecodedByte <= 4,
    ]);
  return rows;
};

const latencyRows = ({ latency }: MeasuredSections): Row[] =>
  latency === undefined
    ? []
    : [
        [
          `${latency.samplesPerRequest} samples at ${latency.timestreamLatencyMs} ms per WriteRecords: p50`,
          ms(latency.defaultConcurrency.p50Ms),
          '≤ 48 ms',
          latency.defaultConcurrency.p50Ms <= 48,
        ],
        [
          `${latency.samplesPerRequest} samples at ${latency.timestreamLatencyMs} ms per WriteRecords: p99`,
          ms(latency.defaultConcurrency.p99Ms),
          '≤ 100 ms',
          latency.defaultConcurrency.p99Ms <= 100,
        ],
      ];

const overloadRows = ({ concurrentWorstCases: c, slowTimestream: s }: MeasuredSections): Row[] => [
  ...(c === undefined
    ? []
    : ([
        [
          `${c.worstCaseBodies} concurrent worst-case bodies + normal traffic: connector peak RSS`,
          mib(c.connectorPeakRssBytes),
          '≤ 1 GiB',
          c.connectorPeakRssBytes <= 1024 * MIB,
        ],
        [
          `${c.worstCaseBodies} concurrent worst-case bodies + normal traffic: normal requests' p99`,
          ms(c.normalP99Ms),
          '≤ 2 s',
          c.normalP99Ms <= 2_000,
        ],
        [
          `${c.worstCaseBodies} concurrent worst-case bodies + normal traffic: acknowledged samples lost`,
          `${thousands(c.samplesLost)} of ${thousands(c.samplesAcknowledged)}`,
          '0',
          c.samplesLost === 0 && c.samplesAcknowledged > 0,
        ],
      ] as Row[])),
  ...(s === undefined
    ? []
    : ([
        [
          `${s.worstCaseBodies} concurrent worst-case bodies, Timestream answering in ${s.timestreamLatencyMs / 1000} s: the process`,
          s.connectorExit === undefined ? `up (/-/ready ${s.ready})` : `ended: ${s.connectorExit}`,
          'stays up',
          s.connectorExit === undefined && s.ready === '200',
        ],
      ] as Row[])),
];

const otherRows = ({ read, coldStart, cost500, cost2000 }: MeasuredSections): Row[] => [
  ...(read === undefined
    ? []
    : Object.values(read.runs).map(
        (run): Row => [
          `remote read of ${thousands(read.samples)} samples, ${run.responseType}: connector CPU`,
          ms(run.connectorCpuMs),
          '≤ 60 ms',
          run.connectorCpuMs <= 60,
        ],
      )),
  ...(coldStart === undefined
    ? []
    : ([
        [
          'Lambda cold start: added to a bare node start',
          ms(coldStart.addedMs),
          '≤ 100 ms',
          coldStart.addedMs <= 100,
        ],
        [
          'Lambda bundle',
          `${thousands(coldStart.bundleBytes / 1024)} KiB`,
          '≤ 1 MiB',
          coldStart.bundleBytes <= MIB,
        ],
      ] as Row[])),
  ...[cost500, cost2000]
    .filter((figures) => figures !== undefined)
    .map((figures): Row => {
      const before = WRITE_UNITS_BEFORE[figures.samplesPerRequest as 500 | 2000];
      const units = figures.connector.writeUnitsPerMillionSamples;
      return [
        `write units per million samples, ${figures.samplesPerRequest} per request`,
        thousands(units),
        `≤ ${thousands(before)} (before issue 19)`,
        units <= before,
      ];
    }),
];

export const acceptanceReport = (sections: MeasuredSections, quick: boolean): string[] => {
  const rows = [
    ...writeRows(sections),
    ...latencyRows(sections),
    ...overloadRows(sections),
    ...otherRows(sections),
  ];
  if (rows.length === 0) return [];
  return [
    "## Issue 19's acceptance figures",
    '',
    quick
      ? '`--quick`: tiny sizes, so these verdicts mean nothing.'
      : 'Medians as the sections below describe; ratios taken within this run.',
    '',
    '| figure | measured | goal | |',
    '| --- | ---: | --- | --- |',
    ...rows.map(([figure, measured, goal, met]) => `| ${figure} | ${measured} | ${goal} | ${verdict(met)} |`),
    '',
  ];
};
