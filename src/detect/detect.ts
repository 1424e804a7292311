import type { AnalysisResult, Summary } from '../analysis/index.js';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES, FEATURES } from './features.js';
import { groupFlows } from './flow-groups.js';
import type { DetectExtras } from './logs.js';
import { type Contribution, fitModel, MODEL, scoreWindow } from './model.js';
import { detectInsights, type Insight, RULE_LIST, type Rule } from './rules/index.js';

/** Fewest windows with traffic a model must have seen before it flags a busy window. */
export const MIN_ACTIVE_WINDOWS = 10;
const PACKETS = FEATURE_NAMES.indexOf('packets_per_sec');

export interface Anomaly {
  window_id: number;
  start_ts: number;
  score: number;
  is_anomaly: boolean;
  contributing_features: Contribution[];
}

export interface AnomalyModelInfo {
  kind: string;
  trees: number;
  sample_size: number;
  seed: number;
  threshold: number;
  /** The session whose windows trained the model, or null when it is this capture's own. */
  baseline_session_id: string | null;
  training_windows: number;
  /** Training windows with traffic; below `min_active_windows` no busy window is flagged. */
  active_training_windows: number;
  min_active_windows: number;
  features: string[];
  feature_descriptions: Record<string, string>;
}

export interface Baseline {
  sessionId: string;
  /** Raw feature rows of the baseline session, windows × FEATURE_COUNT. */
  values: Float64Array;
  rows: number;
}

export interface Detection {
  model: AnomalyModelInfo;
  anomalies: Anomaly[];
  insights: Insight[];
  /** Per window, for `traffic_windows.features_json`. */
  featuresJson(windowId: number): string;
  warnings: string[];
}

/**
 * Scores every window of an analysed capture and runs the insight rules (all of RULE_LIST unless a
 * caller names fewer). The model is fitted on this capture's own windows unless a baseline
 * (another session's windows) is given. Nothing here depends on time of day or randomness other
 * than the model's fixed seed, so scores are the same on every run and whichever database stores
 * them.
 */
export function detect(
  result: AnalysisResult,
  summary: Summary,
  baseline?: Baseline,
  rules: readonly Rule[] = RULE_LIST,
  extras: DetectExtras = {},
): Detection {
  const windows = result.report.windows;
  const index = result.analyzer.flowIndex;
  const analyzer = result.analyzer;
  // One grouping of the flow index by window, for the features and the insight rules.
  const groups = index && windows.count > 0 ? groupFlows(index, windows) : null;
  const rows = windows.toArray();
  const features = computeFeatures(windows, index, {
    arp: analyzer.arp,
    isLocal: (id) => analyzer.isLocal(id),
    groups,
    rows,
  });
  const warnings: string[] = [];
  if (index && index.dropped > 0)
    warnings.push(
      `detection: per-source features and insights used the first ${index.size.toLocaleString('en-US')} flows; ${index.dropped.toLocaleString('en-US')} later flows were left out`,
    );
  const dropped = extras.logs?.dropped;
  if (dropped) {
    const left = (
      [
        ['DNS', extras.logs?.dns.length ?? 0, dropped.dns],
        ['HTTP', extras.logs?.http.length ?? 0, dropped.http],
        ['TLS', extras.logs?.tls.length ?? 0, dropped.tls],
      ] as const
    ).filter(([, , n]) => n > 0);
    if (left.length > 0)
      warnings.push(
        `detection: the log rules read ${left.map(([k, kept, n]) => `the first ${kept.toLocaleString('en-US')} ${k} rows (${n.toLocaleString('en-US')} left out)`).join(', ')}`,
      );
  }
  const training = baseline ?? { sessionId: null, values: features.values, rows: features.count };
  const model = fitModel(training.values, training.rows);
  // What the model can judge: a busy window only against enough busy windows (a capture with a few
  // bursts amid silence has no baseline for traffic), and a silent window only where traffic is
  // the rule (then silence is an outage).
  let activeTraining = 0;
  for (let r = 0; r < training.rows; r++)
    if (training.values[r * FEATURE_COUNT + PACKETS] > 0) activeTraining++;
  const canJudgeActive = activeTraining >= MIN_ACTIVE_WINDOWS;
  const canJudgeSilent = model.medians[PACKETS] > 0;
  const anomalies: Anomaly[] = [];
  const scored: { scaled: Float64Array; forest: number; z: number }[] = [];
  for (let k = 0; k < features.count; k++) {
    // Scored on its own windows, a window is a training row: its paths are known already.
    const s = scoreWindow(model, features.values, k * FEATURE_COUNT, baseline ? -1 : k);
    scored.push({ scaled: s.scaled, forest: s.forestScore, z: s.zScore });
    anomalies.push({
      window_id: k,
      start_ts: windows.t0 + k * windows.lengthS,
      score: s.score,
      is_anomaly:
        s.isAnomaly && (features.values[k * FEATURE_COUNT + PACKETS] > 0 ? canJudgeActive : canJudgeSilent),
      contributing_features: s.contributions,
    });
  }
  const insights = detectInsights(
    {
      windows,
      rows,
      actors: features.actors,
      analyzer,
      summary,
      anomalies: anomalies.map((a) => ({
        score: a.score,
        isAnomaly: a.is_anomaly,
        top: a.contributing_features[0]
          ? { feature: a.contributing_features[0].feature, direction: a.contributing_features[0].direction }
          : null,
      })),
      groups,
      extras,
    },
    rules,
  );
  return {
    model: {
      kind: MODEL.kind,
      trees: MODEL.trees,
      sample_size: Math.min(MODEL.sampleSize, training.rows),
      seed: MODEL.seed,
      threshold: MODEL.threshold,
      baseline_session_id: baseline?.sessionId ?? null,
      training_windows: training.rows,
      active_training_windows: activeTraining,
      min_active_windows: MIN_ACTIVE_WINDOWS,
      features: FEATURE_NAMES,
      feature_descriptions: Object.fromEntries(FEATURES.map((f) => [f.name, f.about])),
    },
    anomalies,
    insights,
    featuresJson(k: number): string {
      const o = k * FEATURE_COUNT;
      const values: string[] = [];
      const z: string[] = [];
      for (let f = 0; f < FEATURE_COUNT; f++) {
        values.push(`"${FEATURE_NAMES[f]}":${json(features.values[o + f])}`);
        z.push(`"${FEATURE_NAMES[f]}":${json(Math.round(scored[k].scaled[f] * 1000) / 1000)}`);
      }
      return `{"values":{${values.join(',')}},"z":{${z.join(',')}},"forest_score":${json(scored[k].forest)},"z_score":${json(scored[k].z)}}`;
    },
    warnings,
  };
}

function json(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/** A baseline's raw feature rows from the `values` objects of its stored `features_json`. */
export function baselineFromFeatures(
  sessionId: string,
  rows: { values: Record<string, number | null> }[],
): Baseline {
  const values = new Float64Array(rows.length * FEATURE_COUNT);
  rows.forEach((r, k) => {
    FEATURE_NAMES.forEach((name, f) => {
      values[k * FEATURE_COUNT + f] = Number(r.values?.[name] ?? 0);
    });
  });
  return { sessionId, values, rows: rows.length };
}

/** The full JSON summary (the README's table of its parts): the analysis' document plus the model, anomalies and insights. */
export function withDetection<S extends Summary>(summary: S, d: Detection) {
  return {
    ...summary,
    file: { ...summary.file, warnings: [...summary.file.warnings, ...d.warnings] },
    anomaly_model: d.model,
    anomalies: d.anomalies,
    insights: d.insights,
  };
}

export type FullSummary = ReturnType<typeof withDetection<Summary>>;
