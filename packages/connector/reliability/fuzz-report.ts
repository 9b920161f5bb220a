/**
 * What every fuzz target reports and how: the result types, the recorder that counts inputs and
 * saves each failing one, the check that a refusal is a readable message, and peak-RSS sampling.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FUZZ_TARGETS = [
  'snappy',
  'write-1.0',
  'write-2.0',
  'read-request',
  'core-handler',
  'http-server',
  'lambda-event',
] as const;
export type FuzzTarget = (typeof FUZZ_TARGETS)[number];

export type FuzzFailureKind =
  | 'crash'
  | 'hang'
  | 'status'
  | 'message'
  | 'unhandled-rejection'
  /** RSS past `RSS_LIMIT_BYTES`, or a decoder that returned more than its limit allows. */
  | 'memory';

export interface FuzzFailure {
  readonly kind: FuzzFailureKind;
  readonly detail: string;
  /** Where the failing input was saved: `<resultsDir>/fuzz-failures/<target>-<index>.bin|json`. */
  readonly inputFile: string;
}

export interface FuzzTargetResult {
  readonly target: FuzzTarget;
  /** Inputs run. */
  readonly inputs: number;
  /** Answered 2xx or decoded: mutants that are still valid. */
  readonly accepted: number;
  /** Refused with a `CodecError`, a 4xx with a readable message, or a closed connection. */
  readonly refused: number;
  /** Empty means the target passed. At most `MAX_FAILURES_PER_SIGNATURE` per kind and message. */
  readonly failures: readonly FuzzFailure[];
  /** Failures beyond those listed (same kind and message as a listed one): counted, not saved. */
  readonly omittedFailures: number;
  readonly seconds: number;
  /** Of the whole process while the target ran: worker threads and the in-process emulator included. */
  readonly peakRssBytes: number;
}

/** Resident memory past this fails the target: decoders must check limits before allocating. */
export const RSS_LIMIT_BYTES = 1.5 * 1024 ** 3;
/** Failures listed (and inputs saved) per kind and message; the rest are only counted. */
const MAX_FAILURES_PER_SIGNATURE = 5;
const MAX_FAILURES_LISTED = 50;

/** A failing input: bytes, or a JSON-able value (events, core requests). */
export type FailingInput = Uint8Array | { readonly json: unknown };

/** `name: message` and the top stack frames, for a failure's detail. */
export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return `thrown non-error: ${String(error).slice(0, 300)}`;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trim().startsWith('at '))
    .slice(0, 4)
    .map((line) => line.trim());
  return [`${error.name}: ${error.message.slice(0, 500)}`, ...frames].join(' | ');
};

/** C0 controls but tab and line breaks, DEL, and C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Why a refusal's message is not readable, or undefined when it is: it must be `text/plain`,
 * valid UTF-8, not blank, and free of control characters other than tab and line breaks.
 */
export const messageProblem = (
  body: string | Uint8Array,
  contentType: string | undefined,
): string | undefined => {
  if (!/^text\/plain\b/i.test(contentType ?? ''))
    return `Content-Type "${contentType ?? ''}" is not text/plain`;
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = utf8.decode(body);
    } catch {
      return 'the message is not valid UTF-8';
    }
  }
  if (text.trim() === '') return 'the message is empty';
  const control = CONTROL.exec(text);
  if (control !== null)
    return `the message holds control character U+${(control[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0')}: ${JSON.stringify(text.slice(0, 200))}`;
  return undefined;
};

/** Numbers and quoted text stripped, so one bug seen with many inputs makes one signature. */
const signatureOf = (kind: FuzzFailureKind, detail: string): string =>
  `${kind}:${detail
    .split(' | ')[0]
    ?.replace(/"[^"]*"/g, '""')
    .replace(/\d+/g, 'N')}`;

export interface Recorder {
  readonly target: FuzzTarget;
  readonly accepted: () => void;
  readonly refused: () => void;
  /** Records a failure of input `index`, saving the input unless an identical failure was saved often enough. */
  readonly fail: (kind: FuzzFailureKind, detail: string, index: number, input: FailingInput) => void;
  /** The input now running, blamed for unhandled rejections and uncaught exceptions. */
  readonly begin: (index: number, input: () => FailingInput) => void;
  readonly unexpected: (kind: FuzzFailureKind, detail: string) => void;
  readonly counts: () => { readonly accepted: number; readonly refused: number };
  /** Adds what a worker counted: inputs decoded, refused, and failures it did not send (over budget). */
  readonly addCounts: (accepted: number, refused: number, omitted: number) => void;
  readonly failures: () => readonly FuzzFailure[];
  readonly omitted: () => number;
  readonly failureCount: () => number;
}

/** Saves a failing input as `<resultsDir>/fuzz-failures/<target>-<index>.bin` (or `.json`). */
export const saveInput = (
  resultsDir: string,
  target: FuzzTarget,
  index: number,
  input: FailingInput,
): string => {
  const directory = join(resultsDir, 'fuzz-failures');
  mkdirSync(directory, { recursive: true });
  const binary = input instanceof Uint8Array;
  const file = join(directory, `${target}-${index}.${binary ? 'bin' : 'json'}`);
  writeFileSync(file, binary ? input : `${JSON.stringify(input.json, null, 2)}\n`);
  return file;
};

/**
 * Decides which failures are listed (and their inputs saved): the first few of each signature. A
 * worker keeps one too, so a bug hit by every other input does not flood the parent with messages.
 */
export const createSignatureBudget = () => {
  const seen = new Map<string, number>();
  let listed = 0;
  return {
    /** True when this failure is to be listed (and its input saved). */
    admit: (kind: FuzzFailureKind, detail: string): boolean => {
      const signature = signatureOf(kind, detail);
      const count = seen.get(signature) ?? 0;
      seen.set(signature, count + 1);
      if (count >= MAX_FAILURES_PER_SIGNATURE || listed >= MAX_FAILURES_LISTED) return false;
      listed++;
      return true;
    },
  };
};

export const createRecorder = (target: FuzzTarget, resultsDir: string): Recorder => {
  let accepted = 0;
  let refused = 0;
  let omitted = 0;
  const failures: FuzzFailure[] = [];
  const budget = createSignatureBudget();
  let current: { index: number; input: () => FailingInput } | undefined;
  const fail = (kind: FuzzFailureKind, detail: string, index: number, input: FailingInput): void => {
    if (!budget.admit(kind, detail)) {
      omitted++;
      return;
    }
    let inputFile: string;
    try {
      inputFile = saveInput(resultsDir, target, index, input);
    } catch (error) {
      inputFile = `(not saved: ${describeError(error)})`;
    }
    failures.push({ kind, detail: `input ${index}: ${detail}`, inputFile });
  };
  return {
    target,
    accepted: () => {
      accepted++;
    },
    refused: () => {
      refused++;
    },
    fail,
    begin: (index, input) => {
      current = { index, input };
    },
    unexpected: (kind, detail) => {
      if (current === undefined) failures.push({ kind, detail, inputFile: '(no input was running)' });
      else fail(kind, detail, current.index, current.input());
    },
    counts: () => ({ accepted, refused }),
    addCounts: (moreAccepted, moreRefused, moreOmitted) => {
      accepted += moreAccepted;
      refused += moreRefused;
      omitted += moreOmitted;
    },
    failures: () => failures,
    omitted: () => omitted,
    failureCount: () => failures.length + omitted,
  };
};

/** Samples the process's RSS (worker threads included) every 100 ms and on demand; keeps the peak. */
export const watchRss = () => {
  let peak = process.memoryUsage.rss();
  const sample = (): number => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
    return rss;
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return {
    sample,
    peak: () => peak,
    stop: (): number => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
};
