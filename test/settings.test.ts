import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOCAL_NETS,
  DEFAULT_SETTINGS,
  DEFAULT_TIMEOUTS,
  OptionError,
  resolveSettings,
} from '../src/analysis/index.js';

describe('resolveSettings', () => {
  it('gives every default when nothing is set: auto windows, the private ranges, the flow timeouts, 100 ranked, protocol logs on', () => {
    expect(resolveSettings()).toEqual({
      windowLength: null,
      localNets: DEFAULT_LOCAL_NETS,
      timeouts: DEFAULT_TIMEOUTS,
      topN: 100,
      logs: true,
    });
    expect(resolveSettings({ logs: false }).logs).toBe(false);
    expect(DEFAULT_SETTINGS).toEqual(resolveSettings());
  });

  it('keeps the timeouts it was not given, in the order the summary prints them', () => {
    const { timeouts } = resolveSettings({ flowTimeouts: 'udp=120,tcp=20' });
    expect(Object.entries(timeouts)).toEqual([
      ['tcp', 20],
      ['udp', 120],
      ['icmp', 60],
      ['other', 60],
    ]);
  });

  it('reads local networks from several comma-separated lists', () => {
    expect(resolveSettings({ localNets: ['10.0.0.0/8, 192.0.2.0/24', '2001:db8::/32'] }).localNets).toEqual([
      '10.0.0.0/8',
      '192.0.2.0/24',
      '2001:db8::/32',
    ]);
  });

  it.each([
    [{ window: '0' }, "window must be 'auto' or a number of seconds from 0.001 to 86400, not '0'"],
    [{ localNets: ['10.0.0.0/33'] }, /^local_nets: /],
    [{ flowTimeouts: 'tcp=0' }, "flow_timeouts takes tcp=S,udp=S,icmp=S,other=S with S > 0, not 'tcp=0'"],
  ])('names the setting as the caller calls it: %o', (text, message) => {
    const names = { window: 'window', localNets: 'local_nets', flowTimeouts: 'flow_timeouts' };
    expect(() => resolveSettings(text, names)).toThrow(OptionError);
    expect(() => resolveSettings(text, names)).toThrow(message);
  });

  it('is plain data: a copy sent to a worker thread equals it', () => {
    const settings = resolveSettings({ window: '7', localNets: ['10.0.0.0/8'], flowTimeouts: 'udp=5' });
    expect(structuredClone(settings)).toEqual(settings);
    expect(JSON.parse(JSON.stringify(settings))).toEqual(settings);
  });
});
