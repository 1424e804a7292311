import { DEFAULT_TIMEOUTS, type FlowTimeouts } from './flow-table.js';
import { CidrError, DEFAULT_LOCAL_NETS, parseCidr } from './local-nets.js';
import { OptionError } from './options.js';

/**
 * The settings of one analysis, every default applied and every value checked. Plain data (it
 * crosses worker threads): resolved once by `resolveSettings` where the user gave them (the CLI,
 * the upload form) and passed unchanged down to the flow half and to storage.
 */
export interface AnalysisSettings {
  /** Window length in seconds, or null for `auto`. */
  windowLength: number | null;
  /** Local networks for inbound/outbound, as CIDR texts (each one parses). */
  localNets: string[];
  /** Flow idle timeouts in seconds. */
  timeouts: FlowTimeouts;
  /** How many entries the rankings keep. */
  topN: number;
  /** Build the protocol logs (DNS, HTTP, TLS transactions); `--no-logs` turns them off. */
  logs: boolean;
}

/** Settings as a user writes them (CLI flags, upload fields); a missing one takes its default. */
export interface SettingsText {
  /** `auto` or a number of seconds. */
  window?: string;
  /** Lists of CIDRs, each comma-separated (a flag given several times gives several). */
  localNets?: string[];
  /** `tcp=S,udp=S,icmp=S,other=S`, any of them. */
  flowTimeouts?: string;
  /** False turns the protocol logs off (default on). */
  logs?: boolean;
}

/** What each setting is called in the messages: the CLI's flags, or the upload form's fields. */
export interface SettingNames {
  window: string;
  localNets: string;
  flowTimeouts: string;
}

export const CLI_SETTING_NAMES: SettingNames = {
  window: '--window',
  localNets: '--local-net',
  flowTimeouts: '--flow-timeout',
};

/** How many entries each ranking keeps. */
const TOP_N = 100;

/** Checks the text a user gave and fills in every default; an `OptionError` says what is wrong. */
export function resolveSettings(text: SettingsText = {}, names = CLI_SETTING_NAMES): AnalysisSettings {
  return {
    windowLength: parseWindow(text.window ?? 'auto', names.window),
    localNets: parseLocalNets(text.localNets, names.localNets),
    timeouts: parseTimeouts(text.flowTimeouts, names.flowTimeouts),
    topN: TOP_N,
    logs: text.logs !== false,
  };
}

/** The settings when a user gives none. */
export const DEFAULT_SETTINGS: AnalysisSettings = resolveSettings();

/** `auto` (null) or a window length in seconds, 0.001 to 86400. */
function parseWindow(text: string, what: string): number | null {
  if (text === 'auto') return null;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n >= 0.001) || n > 86400) {
    throw new OptionError(`${what} must be 'auto' or a number of seconds from 0.001 to 86400, not '${text}'`);
  }
  return n;
}

/** Local networks from comma-separated lists of CIDRs; the default local networks when there are none. */
function parseLocalNets(values: string[] | undefined, what: string): string[] {
  const nets = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (nets.length === 0) return DEFAULT_LOCAL_NETS;
  for (const net of nets) {
    try {
      parseCidr(net);
    } catch (e) {
      if (e instanceof CidrError) throw new OptionError(`${what}: ${e.message}`);
      throw e;
    }
  }
  return nets;
}

function parseTimeouts(text: string | undefined, what: string): FlowTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS };
  if (text === undefined) return timeouts;
  for (const part of text.split(',')) {
    const [key, value] = part.split('=');
    const n = Number(value);
    if (!(key in timeouts) || !/^\d+(\.\d+)?$/.test(value ?? '') || !(n > 0)) {
      throw new OptionError(`${what} takes tcp=S,udp=S,icmp=S,other=S with S > 0, not '${part}'`);
    }
    timeouts[key as keyof FlowTimeouts] = n;
  }
  return timeouts;
}
