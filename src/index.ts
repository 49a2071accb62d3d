/**
 * The programmatic API of entra-bas-proxy (the only barrel). For test frameworks: `startProxy`
 * gives a running proxy with its URL, CA, the environment to hand a child, the live report and
 * `close()`. For tools: the pure pipeline (`classifyExchange`, `createSession`) and the renderers.
 */
export { startProxy, type ProxyOptions, type RunningProxy } from './proxy/server.js';
export { loadOrCreateCa, spkiSha256, type CaFiles } from './proxy/ca-store.js';
export { classifyExchange, parseExchange } from './classifiers/index.js';
export { createSession, type Session } from './classifiers/session.js';
export { readHar } from './sources/har.js';
export { readSessionLog, openSessionLog } from './sources/session-log.js';
export { buildReportHead, type ReportHead, type ReportInput } from './report/build.js';
export { renderToString, writeReports } from './report/writer.js';
export {
  REPORT_FORMATS,
  formatOf,
  renderReport,
  type ReportFormat,
  type ReportFormatDecl,
} from './report/formats.js';
export { worstVerdict, worseVerdict, atLeastAsBad, verdictRank } from './core/verdict.js';
export { ToolError, type ErrCode } from './core/errors.js';
export type { LiveSession, LiveSnapshot } from './core/live.js';
export * from './core/types.js';
export { VERSION } from './version.js';
