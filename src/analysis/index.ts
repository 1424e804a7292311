export { type AnalysisResult, type AnalyzeOptions, analyzeCapture } from './analyze.js';
export { CaptureStats } from './capture-stats.js';
export { buildSummary, type Summary } from './summary.js';
