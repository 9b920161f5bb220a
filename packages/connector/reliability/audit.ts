/**
 * `npm audit` of the production dependencies. A finding passes only when the README's dependency
 * audit section names its advisory (with why it does not apply or what is done about it). When
 * the advisory endpoint cannot be reached (offline CI, a registry mirror without it), the check
 * says so and is not counted as clean.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AuditResult {
  /** `checked`: the endpoint answered; `unavailable`: it did not, nothing is known. */
  readonly status: 'checked' | 'unavailable';
  readonly detail: string;
  readonly findings: readonly {
    readonly name: string;
    readonly severity: string;
    readonly advisory: string;
  }[];
  /** Findings the README does not explain. */
  readonly unexplained: readonly string[];
}

interface AuditJson {
  readonly vulnerabilities?: Record<
    string,
    {
      readonly severity: string;
      readonly via: readonly (string | { readonly url?: string; readonly source?: number })[];
    }
  >;
  readonly error?: { readonly summary?: string };
  /** What npm prints when the advisory endpoint refuses the request. */
  readonly message?: string;
}

export const auditProductionDependencies = (repo: string): AuditResult => {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: repo, encoding: 'utf8' });
  let report: AuditJson;
  try {
    report = JSON.parse(run.stdout) as AuditJson;
  } catch {
    return {
      status: 'unavailable',
      detail: (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' '),
      findings: [],
      unexplained: [],
    };
  }
  if (report.vulnerabilities === undefined)
    return {
      status: 'unavailable',
      detail: report.error?.summary || report.message || 'npm audit gave no vulnerability report',
      findings: [],
      unexplained: [],
    };
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const findings = Object.entries(report.vulnerabilities).flatMap(([name, vulnerability]) =>
    vulnerability.via
      .filter((via): via is { url?: string; source?: number } => typeof via !== 'string')
      .map((via) => ({ name, severity: vulnerability.severity, advisory: via.url ?? String(via.source) })),
  );
  return {
    status: 'checked',
    detail: `${findings.length} advisories`,
    findings,
    unexplained: findings
      .filter((finding) => !readme.includes(finding.advisory))
      .map((finding) => `${finding.name} (${finding.severity}): ${finding.advisory}`),
  };
};
