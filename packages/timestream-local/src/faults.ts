/** Fault injection: latency, throttling and internal errors, globally or per operation, for a while. */

export interface FaultSettings {
  /** Fraction (0–1) of calls answered with ThrottlingException (429). */
  readonly throttleRate: number;
  /** Fraction (0–1) of calls answered with InternalServerException (500). */
  readonly errorRate: number;
  /** Delay added before every answer, in milliseconds. */
  readonly latencyMs: number;
}

export interface FaultRule extends FaultSettings {
  /** An operation name such as `WriteRecords`, or `*` for every operation. */
  readonly operation: string;
  /** Epoch ms after which the rule no longer applies; undefined = until cleared. */
  readonly until: number | undefined;
}

export const NO_FAULTS: FaultSettings = { throttleRate: 0, errorRate: 0, latencyMs: 0 };

const rate = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new Error(`${name} must be a number from 0 to 1, got ${String(value)}`);
  return value;
};

/** Reads a rule from an admin request body; throws a readable Error for bad input. */
export const parseFaultRule = (body: Record<string, unknown>, now: number): FaultRule => {
  const operation = body.operation ?? '*';
  if (typeof operation !== 'string' || operation.length === 0)
    throw new Error('operation must be an operation name or "*"');
  const latencyMs = body.latencyMs ?? 0;
  if (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs <= 60_000)) {
    throw new Error(`latencyMs must be a number from 0 to 60000, got ${String(latencyMs)}`);
  }
  const durationMs = body.durationMs;
  if (durationMs !== undefined && (typeof durationMs !== 'number' || !(durationMs > 0))) {
    throw new Error(`durationMs must be a positive number, got ${String(durationMs)}`);
  }
  return {
    operation,
    throttleRate: rate(body.throttleRate ?? 0, 'throttleRate'),
    errorRate: rate(body.errorRate ?? 0, 'errorRate'),
    latencyMs,
    until: durationMs === undefined ? undefined : now + durationMs,
  };
};

/** The settings that apply to `operation` now: the newest matching rule, else the defaults. */
export const faultsFor = (
  rules: readonly FaultRule[],
  defaults: FaultSettings,
  operation: string,
  now: number,
): FaultSettings => {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i] as FaultRule;
    if (
      (rule.operation === operation || rule.operation === '*') &&
      (rule.until === undefined || rule.until > now)
    )
      return rule;
  }
  return defaults;
};
