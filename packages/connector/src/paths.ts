/**
 * The standalone server's own paths, named once for its router, its 404 text and the check that
 * `--web.telemetry-path` does not take one of them (a metrics path of `/write` would be
 * unreachable, one of `/-/ready` would hide the probe).
 */
export const WRITE_PATH = '/write';
export const READ_PATH = '/read';
/** Liveness: `/healthz`, and `/-/healthy` as Prometheus names it. */
export const LIVENESS_PATHS: readonly string[] = ['/healthz', '/-/healthy'];
export const READINESS_PATH = '/-/ready';
export const SERVER_PATHS: readonly string[] = [WRITE_PATH, READ_PATH, ...LIVENESS_PATHS, READINESS_PATH];
