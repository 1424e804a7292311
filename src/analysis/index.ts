export type { AddressTable } from './address-table.js';
export { type AnalysisResult, type AnalyzeOptions, analyzeCapture } from './analyze.js';
export {
  type AnalysisReport,
  Analyzer,
  type AnalyzerOptions,
  type FlowSummary,
  type PortUsage,
  protocolName,
  type Talker,
} from './analyzer.js';
export { CaptureStats } from './capture-stats.js';
export { communityId, flowCommunityId } from './community-id.js';
export { ArpLog, CONN_STATES, FlowIndex, unansweredState } from './flow-index.js';
export { DEFAULT_TIMEOUTS, type FlowRecord, type FlowTimeouts } from './flow-table.js';
export { grown } from './grown.js';
export {
  CidrError,
  DEFAULT_LOCAL_NETS,
  inCidr,
  isGroupAddress,
  isUnspecifiedAddress,
  LocalNets,
  parseCidr,
  parseIpv4,
  parseIpv6,
} from './local-nets.js';
export {
  type DnsLogEntry,
  type HttpLogEntry,
  LOG_ROW_CAP,
  LogRowCollector,
  type LogRows,
  type TlsLogEntry,
} from './log-rows.js';
export { type LogSink, type LogTotals, type Tally, topOf } from './logs.js';
export { canonicalIp, OptionError } from './options.js';
export {
  analysisShards,
  type FlowSinkEnv,
  type FlowSinkSpec,
  type LoadedFlowSink,
  pipelineAvailable,
} from './pipeline.js';
export { type CaptureWindowing, scanWindowing } from './prescan.js';
export { serviceLabel, serviceName } from './services.js';
export {
  type AnalysisSettings,
  CLI_SETTING_NAMES,
  DEFAULT_SETTINGS,
  resolveSettings,
  type SettingNames,
  type SettingsText,
} from './settings.js';
export { buildSummary, type Summary } from './summary.js';
export {
  DURATION_KEYS,
  distribution,
  LONG_SPAN_WINDOW,
  MAX_AUTO_WINDOWS,
  MAX_WINDOWS,
  SIZE_KEYS,
  WINDOW_LADDER,
  WindowLimitError,
  type WindowRow,
  WindowSet,
  windowAt,
} from './windows.js';
