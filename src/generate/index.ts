export { ATTACK_TYPES, type AttackSpec, type AttackTruth, type AttackType } from './attacks.js';
export {
  DEMO_ATTACKS,
  DEMO_DURATION_S,
  type DemoOptions,
  type DemoResult,
  defaultDemoDir,
  demoName,
  loadDemo,
  writeDemoCapture,
} from './demo.js';
export {
  DEFAULT_ATTACKS,
  DEFAULT_START_TS,
  type GenerateOptions,
  type GroundTruth,
  generateCapture,
  truthPathFor,
} from './generate.js';
