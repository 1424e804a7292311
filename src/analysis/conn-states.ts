/** Zeek conn_state values, in the order of their codes (FlowRecord.connStateCode, FlowIndex). */
export const CONN_STATES = [
  'OTH',
  'S0',
  'S1',
  'SF',
  'REJ',
  'S2',
  'S3',
  'RSTO',
  'RSTR',
  'RSTOS0',
  'RSTRH',
  'SH',
  'SHR',
] as const;
