export {
  ATTACK_TYPES,
  type AttackSpec,
  type AttackTruth,
  type AttackType,
  FLOW_ATTACK_TYPES,
} from './attacks.js';
export {
  DEMO_ATTACKS,
  type DemoOptions,
  type DemoResult,
  demoName,
  loadDemo,
  writeDemoCapture,
} from './demo.js';
export { DEMO_DURATION_S, defaultDemoDir } from './demo-defaults.js';
export {
  DEFAULT_ATTACKS,
  DEFAULT_START_TS,
  type GenerateOptions,
  type GroundTruth,
  generateCapture,
  truthPathFor,
} from './generate.js';
export { type LossyOptions, type LossyTruth, writeLossyCapture } from './lossy.js';
