/** Searches logs for secrets, naming where a hit is without repeating the secret. */

export interface LogScan {
  readonly lines: number;
  readonly bytes: number;
  readonly secrets: number;
  /** `log #i line n: secret #k (first 4 characters…)` */
  readonly hits: readonly string[];
}

export const scanLogs = (logs: readonly string[], secrets: readonly string[]): LogScan => {
  const hits: string[] = [];
  let lines = 0;
  let bytes = 0;
  const distinct = [...new Set(secrets.filter((secret) => secret.length >= 8))];
  logs.forEach((text, logIndex) => {
    bytes += Buffer.byteLength(text);
    text.split('\n').forEach((line, lineIndex) => {
      lines++;
      for (const [secretIndex, secret] of distinct.entries()) {
        if (line.includes(secret))
          hits.push(
            `log #${logIndex} line ${lineIndex + 1}: secret #${secretIndex} (${secret.slice(0, 4)}…)`,
          );
      }
    });
  });
  return { lines, bytes, secrets: distinct.length, hits };
};
