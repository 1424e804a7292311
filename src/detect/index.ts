export {
  type Anomaly,
  type AnomalyModelInfo,
  type Baseline,
  baselineFromFeatures,
  type Detection,
  detect,
  type FullSummary,
  withDetection,
} from './detect.js';
export { FEATURE_NAMES, FEATURES, type WindowActors } from './features.js';
export { averagePath, IsolationForest, mulberry32 } from './forest.js';
export {
  INTEL_MAX_ENTRIES,
  type IntelEntry,
  IntelError,
  type IntelKind,
  IntelMatcher,
  parseIntelEntry,
  parseIntelList,
} from './intel.js';
export type { DetectExtras, DnsLogEntry, HttpLogEntry, LogTransactions, TlsLogEntry } from './logs.js';
export { type Contribution, fitModel, MODEL, scoreWindow } from './model.js';
export {
  type AnomalyView,
  type Insight,
  RULE_LIST,
  RULES,
  type Rule,
  type RuleContext,
  type Severity,
} from './rules/index.js';
