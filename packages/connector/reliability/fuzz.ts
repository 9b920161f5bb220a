/**
 * The fuzzing part of the reliability suite: deterministic, seeded mutation fuzzing of every entry
 * point that takes bytes from the network, starting from the bodies a real Prometheus 2.42 sent.
 *
 * - `snappy`, `write-1.0`, `write-2.0`, `read-request`: the codec's decoders. Any throw other
 *   than a `CodecError` is a crash. They run in a worker thread that publishes the input it is on
 *   in shared memory; a watchdog here terminates it after `HANG_MS` without progress, reports a
 *   hang, and starts a new worker after that input.
 * - `core-handler`, `http-server`, `lambda-event`: the connector against the emulator, see
 *   fuzz-connector.ts.
 *
 * Input i of a target is a function of (seed, target, i) alone (`fuzzInput` rebuilds it), and
 * every failing input is saved under `<resultsDir>/fuzz-failures/`.
 *
 * The worker runs the same file as the caller (`new Worker(new URL(import.meta.url))`): bundled,
 * that is the whole runner bundle, so its entry must call `serveFuzzWorker()` first and do nothing
 * else when it returns true.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  CodecError,
  decodeReadRequest,
  decodeWriteRequest,
  decompressSnappyBlock,
  WRITE_CONTENT_TYPES,
} from '@prometheus-timestream/codec';
import {
  coreHandlerInput,
  fuzzCoreHandler,
  fuzzHttpServer,
  fuzzLambdaEvents,
  httpServerInput,
  lambdaEventInput,
  type SystemUnderTest,
  startSystemUnderTest,
} from './fuzz-connector.js';
import {
  createRecorder,
  createSignatureBudget,
  describeError,
  FUZZ_TARGETS,
  type FuzzFailureKind,
  type FuzzTarget,
  type FuzzTargetResult,
  messageProblem,
  type Recorder,
  RSS_LIMIT_BYTES,
  watchRss,
} from './fuzz-report.js';
import { concatBytes, craftSnappyBlock, encodeVarint, havoc, mutateSnappyBody, randomFor } from './mutate.js';
import { type BodySeed, loadSeeds, type Seeds } from './seeds.js';

export {
  FUZZ_TARGETS,
  type FuzzFailure,
  type FuzzFailureKind,
  type FuzzTarget,
  type FuzzTargetResult,
} from './fuzz-report.js';

export interface FuzzOptions {
  /** Inputs for each codec target (`snappy`, `write-1.0`, `write-2.0`, `read-request`). */
  readonly inputsPerTarget: number;
  /**
   * Inputs for each target that goes through the connector and the emulator, which are ~100×
   * slower per input.
   * @default inputsPerTarget / 8
   */
  readonly inputsPerConnectorTarget?: number;
  readonly seed: number;
  /** Failing inputs go to `<resultsDir>/fuzz-failures/`. */
  readonly resultsDir: string;
  readonly log: (line: string) => void;
  /** @default FUZZ_TARGETS (all) */
  readonly targets?: readonly FuzzTarget[];
}

/** Decoded-size limit of the codec targets: Prometheus's 32 MiB, the connector's default too. */
const MAX_DECODED_BYTES = 32 * 1024 * 1024;
/** Mutants are cut to this size. */
const MAX_MUTANT_BYTES = 4 * 1024 * 1024;
/** A worker that has not finished an input for this long is hung. */
const HANG_MS = 10_000;
/** After this many hangs or crashes of its workers, a codec target stops early. */
const MAX_WORKER_RESTARTS = 5;
/** Keeps a runaway heap in the worker from taking the whole process down. */
const WORKER_HEAP_MB = 1024;

const CODEC_TARGETS = ['snappy', 'write-1.0', 'write-2.0', 'read-request'] as const;
type CodecTarget = (typeof CODEC_TARGETS)[number];
const isCodecTarget = (target: FuzzTarget): target is CodecTarget =>
  (CODEC_TARGETS as readonly string[]).includes(target);

/** Every seed, for the snappy target, built once per seed set. */
const allSeeds = new WeakMap<
  Seeds,
  { readonly bodies: readonly BodySeed[]; readonly blocks: readonly Uint8Array[] }
>();

const seedsOf = (seeds: Seeds, target: CodecTarget): readonly BodySeed[] => {
  if (target === 'write-1.0') return seeds.write1;
  if (target === 'write-2.0') return seeds.write2;
  if (target === 'read-request') return seeds.read;
  return snappySeeds(seeds).bodies;
};

const snappySeeds = (seeds: Seeds) => {
  let all = allSeeds.get(seeds);
  if (all === undefined) {
    const bodies = [...seeds.write1, ...seeds.write2, ...seeds.read];
    all = { bodies, blocks: bodies.map((body) => body.compressed) };
    allSeeds.set(seeds, all);
  }
  return all;
};

/** Input `index` of a codec target. */
const codecInput = (target: CodecTarget, seeds: Seeds, seed: number, index: number): Uint8Array => {
  const random = randomFor(seed, target, index);
  const pool = seedsOf(seeds, target);
  const base = random.pick(pool);
  if (target !== 'snappy') {
    return random.chance(0.03)
      ? base.compressed
      : mutateSnappyBody(base, random, { others: pool, maxBytes: MAX_MUTANT_BYTES });
  }
  // Snappy alone: the message layer would only test the compressor, so every mutant is of the block.
  const roll = random.below(10);
  if (roll < 6)
    return havoc(base.compressed, random, { splice: snappySeeds(seeds).blocks, maxBytes: MAX_MUTANT_BYTES });
  if (roll < 8) {
    // The elements kept, the declared length replaced.
    const declared = random.pick([
      0n,
      1n,
      BigInt(base.message.length + 1),
      BigInt(MAX_DECODED_BYTES + 1),
      0xffffffffn,
    ]);
    const preamble = base.compressed.findIndex((b) => b < 0x80) + 1;
    return concatBytes(encodeVarint(declared), base.compressed.subarray(preamble));
  }
  return craftSnappyBlock(random);
};

/**
 * Rebuilds input `index` of `target` from the seed: bytes for the codec and HTTP targets, the
 * request or event (JSON-able) for the core handler and Lambda.
 */
export const fuzzInput = (
  target: FuzzTarget,
  seed: number,
  index: number,
  seeds: Seeds = loadSeeds(),
): unknown => {
  if (isCodecTarget(target)) return codecInput(target, seeds, seed, index);
  if (target === 'core-handler') return coreHandlerInput(seeds, seed, index);
  if (target === 'http-server') return httpServerInput(seeds, seed, index);
  return lambdaEventInput(seeds, seed, index);
};

type CodecOutcome = 'accepted' | 'refused' | { readonly kind: FuzzFailureKind; readonly detail: string };

/** Decodes one input; a `CodecError` with a readable message is a refusal, any other throw a crash. */
const runCodecInput = (target: CodecTarget, body: Uint8Array): CodecOutcome => {
  const limit = { maxDecodedBytes: MAX_DECODED_BYTES };
  try {
    if (target === 'snappy') {
      const decoded = decompressSnappyBlock(body, limit);
      if (decoded.length > MAX_DECODED_BYTES)
        return {
          kind: 'memory',
          detail: `decoded ${decoded.length} bytes, over the limit of ${MAX_DECODED_BYTES}`,
        };
    } else if (target === 'read-request') {
      decodeReadRequest(body, {}, limit);
    } else {
      decodeWriteRequest(
        body,
        {
          contentType: WRITE_CONTENT_TYPES[target === 'write-1.0' ? '1.0' : '2.0'],
          contentEncoding: 'snappy',
        },
        limit,
      );
    }
    return 'accepted';
  } catch (error) {
    if (!(error instanceof CodecError)) return { kind: 'crash', detail: describeError(error) };
    const problem = messageProblem(error.message, 'text/plain');
    return problem === undefined
      ? 'refused'
      : { kind: 'message', detail: `CodecError ${error.kind}: ${problem}` };
  }
};

// ---------------------------------------------------------------------------------------------
// Worker

const WORKER_KEY = 'prometheusTimestreamFuzzWorker';

interface CodecJob {
  readonly target: CodecTarget;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  /** Int32 slots, see `Slot`. */
  readonly progress: SharedArrayBuffer;
}

/** Slots of the shared progress array. */
const Slot = {
  /** Index of the input being run. */
  current: 0,
  /** Inputs finished. */
  done: 1,
  accepted: 2,
  refused: 3,
  /** Failures not sent to the parent (over the per-signature budget). */
  omitted: 4,
} as const;
const SLOTS = 5;

interface WorkerFailure {
  readonly index: number;
  readonly kind: FuzzFailureKind;
  readonly detail: string;
  readonly input: Uint8Array;
}

const codecJobOf = (data: unknown): CodecJob | undefined =>
  typeof data === 'object' && data !== null
    ? ((data as Record<string, unknown>)[WORKER_KEY] as CodecJob | undefined)
    : undefined;

/**
 * When this thread is a fuzz worker started by `runFuzz`, runs its share of a codec target and
 * returns true (the thread then has nothing else to do); otherwise returns false at once. The
 * entry point of a bundle that contains `runFuzz` calls it before anything else:
 *
 * @example
 * ```ts
 * if (!serveFuzzWorker()) await main();
 * ```
 */
export const serveFuzzWorker = (): boolean => {
  const job = isMainThread ? undefined : codecJobOf(workerData);
  const port = parentPort;
  if (job === undefined || port === null) return false;
  const progress = new Int32Array(job.progress);
  const seeds = loadSeeds();
  const budget = createSignatureBudget();
  for (let index = job.from; index < job.to; index++) {
    Atomics.store(progress, Slot.current, index);
    const input = codecInput(job.target, seeds, job.seed, index);
    const outcome = runCodecInput(job.target, input);
    if (outcome === 'accepted') Atomics.add(progress, Slot.accepted, 1);
    else if (outcome === 'refused') Atomics.add(progress, Slot.refused, 1);
    else if (budget.admit(outcome.kind, outcome.detail))
      port.postMessage({ index, kind: outcome.kind, detail: outcome.detail, input } satisfies WorkerFailure);
    else Atomics.add(progress, Slot.omitted, 1);
    Atomics.add(progress, Slot.done, 1);
  }
  return true;
};

/**
 * Runs inputs `from`..`to`-1 of a codec target in one worker under the watchdog. Resolves with the
 * index of the input it was stopped at (hang, crash, memory), or undefined when it finished.
 */
const runCodecWorker = (
  job: Omit<CodecJob, 'progress'>,
  seeds: Seeds,
  recorder: Recorder,
  rss: ReturnType<typeof watchRss>,
): Promise<{ readonly ran: number; readonly stoppedAt: number | undefined }> =>
  new Promise((resolve) => {
    const progress = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
    progress[Slot.current] = job.from;
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { [WORKER_KEY]: { ...job, progress: progress.buffer } },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let stopped: { readonly kind: FuzzFailureKind; readonly detail: string } | undefined;
    const stop = (kind: FuzzFailureKind, detail: string): void => {
      if (stopped !== undefined) return;
      stopped = { kind, detail };
      void worker.terminate();
    };
    let lastDone = -1;
    let lastProgressAt = Date.now();
    const watchdog = setInterval(() => {
      const done = Atomics.load(progress, Slot.done);
      if (done !== lastDone) {
        lastDone = done;
        lastProgressAt = Date.now();
      } else if (Date.now() - lastProgressAt > HANG_MS) {
        stop('hang', `no progress for ${HANG_MS / 1000} s; worker terminated`);
      }
      const resident = rss.sample();
      if (resident > RSS_LIMIT_BYTES)
        stop(
          'memory',
          `RSS ${Math.round(resident / 2 ** 20)} MiB, over ${RSS_LIMIT_BYTES / 2 ** 20} MiB; worker terminated`,
        );
    }, 250);
    worker.on('message', (failure: WorkerFailure) => {
      recorder.fail(failure.kind, failure.detail, failure.index, failure.input);
    });
    worker.on('error', (error) => {
      stop('crash', `the worker died: ${describeError(error)}`);
    });
    worker.on('exit', (code) => {
      clearInterval(watchdog);
      recorder.addCounts(
        Atomics.load(progress, Slot.accepted),
        Atomics.load(progress, Slot.refused),
        Atomics.load(progress, Slot.omitted),
      );
      const done = Atomics.load(progress, Slot.done);
      if (stopped === undefined && code === 0 && job.from + done === job.to) {
        resolve({ ran: done, stoppedAt: undefined });
        return;
      }
      const index = Atomics.load(progress, Slot.current);
      const failure = stopped ?? { kind: 'crash', detail: `the worker exited with code ${code}` };
      recorder.fail(failure.kind, failure.detail, index, codecInput(job.target, seeds, job.seed, index));
      resolve({ ran: done + 1, stoppedAt: index });
    });
  });

const runCodecTarget = async (
  target: CodecTarget,
  options: FuzzOptions,
  seeds: Seeds,
  recorder: Recorder,
  rss: ReturnType<typeof watchRss>,
): Promise<number> => {
  let ran = 0;
  let from = 0;
  for (let restarts = 0; from < options.inputsPerTarget; restarts++) {
    if (restarts > MAX_WORKER_RESTARTS) {
      options.log(`fuzz ${target}: stopped after ${MAX_WORKER_RESTARTS} worker restarts`);
      break;
    }
    const outcome = await runCodecWorker(
      { target, seed: options.seed, from, to: options.inputsPerTarget },
      seeds,
      recorder,
      rss,
    );
    ran += outcome.ran;
    if (outcome.stoppedAt === undefined) break;
    from = outcome.stoppedAt + 1;
  }
  return ran;
};

// ---------------------------------------------------------------------------------------------
// Orchestration

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

/**
 * Fuzzes every target in turn and reports each one's figures and failures. Never throws because
 * of an input: crashes, hangs, wrong statuses, unreadable messages, unhandled rejections and RSS
 * past `RSS_LIMIT_BYTES` are reported, with the failing input saved.
 */
export const runFuzz = async (options: FuzzOptions): Promise<FuzzTargetResult[]> => {
  const targets = options.targets ?? FUZZ_TARGETS;
  const connectorInputs = options.inputsPerConnectorTarget ?? Math.ceil(options.inputsPerTarget / 8);
  const seeds = loadSeeds();
  options.log(
    `fuzz: seed ${options.seed}; ${seeds.write1.length} remote-write 1.0, ${seeds.write2.length} 2.0 and ${seeds.read.length} remote-read seeds`,
  );
  const results: FuzzTargetResult[] = [];
  let active: Recorder | undefined;
  // Between targets (starting or stopping the connector) nothing is blamed, but nothing is hidden.
  const onRejection = (reason: unknown): void => {
    if (active === undefined)
      options.log(`fuzz: unhandled rejection between targets: ${describeError(reason)}`);
    else active.unexpected('unhandled-rejection', describeError(reason));
  };
  const onException = (error: unknown): void => {
    if (active === undefined)
      options.log(`fuzz: uncaught exception between targets: ${describeError(error)}`);
    else active.unexpected('crash', `uncaught exception: ${describeError(error)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const measure = async (
    target: FuzzTarget,
    run: (recorder: Recorder, rss: ReturnType<typeof watchRss>) => Promise<number>,
  ): Promise<void> => {
    const recorder = createRecorder(target, options.resultsDir);
    active = recorder;
    const rss = watchRss();
    const started = performance.now();
    let inputs = 0;
    try {
      inputs = await run(recorder, rss);
    } catch (error) {
      recorder.unexpected('crash', `the target could not run: ${describeError(error)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const peakRssBytes = rss.stop();
    active = undefined;
    const { accepted, refused } = recorder.counts();
    const result: FuzzTargetResult = {
      target,
      inputs,
      accepted,
      refused,
      failures: recorder.failures(),
      omittedFailures: recorder.omitted(),
      seconds,
      peakRssBytes,
    };
    results.push(result);
    options.log(
      `fuzz ${target}: ${inputs} inputs in ${seconds.toFixed(1)} s (${Math.round(inputs / seconds)}/s), ` +
        `${accepted} accepted, ${refused} refused, ${recorder.failureCount()} failed; peak RSS ${mib(peakRssBytes)}`,
    );
    for (const failure of result.failures)
      options.log(`  ${failure.kind}: ${failure.detail} (${failure.inputFile})`);
  };

  try {
    for (const target of targets) {
      if (isCodecTarget(target))
        await measure(target, (recorder, rss) => runCodecTarget(target, options, seeds, recorder, rss));
    }
    const connectorTargets = targets.filter((target) => !isCodecTarget(target));
    const run = {
      'core-handler': fuzzCoreHandler,
      'http-server': fuzzHttpServer,
      'lambda-event': fuzzLambdaEvents,
    } as const;
    for (const target of connectorTargets as (keyof typeof run)[]) {
      // A fresh emulator per target: the data the accepted mutants wrote (and DuckDB's memory for
      // it) does not carry over into the next target's memory figure.
      let system: SystemUnderTest | undefined;
      try {
        system = await startSystemUnderTest(seeds);
      } catch (error) {
        options.log(`fuzz: the connector could not start: ${describeError(error)}`);
      }
      try {
        await measure(target, (recorder, rss) => {
          if (system === undefined) throw new Error('the connector under test did not start');
          return run[target](system, seeds, { seed: options.seed, inputs: connectorInputs }, recorder, rss);
        });
      } finally {
        await system?.stop();
      }
    }
  } finally {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
  return results;
};
