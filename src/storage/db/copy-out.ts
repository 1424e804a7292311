/**
 * Big result pages from PGlite through `COPY (query) TO '/dev/blob'` instead of its row decoder,
 * which spends about 30 µs on a row of the flows' 27 columns (a 10,000-row page: 280 ms, 47 ms
 * by COPY). The rows come back as CSV with every non-null value quoted (FORCE_QUOTE *), so an
 * unquoted empty field is NULL; each is converted as PGlite's own parsers convert its type.
 */

/** A result column: its name and type OID (PGlite's describeQuery). */
export interface OutField {
  name: string;
  dataTypeID: number;
}

type Convert = (text: string) => unknown;

const asText: Convert = (s) => s;
const asNumber: Convert = (s) => Number(s);
/** int8 as PGlite gives it: a number while exact, a BigInt beyond. */
const asInt8: Convert = (s) => {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
};
const asBool: Convert = (s) => s === 't';

/** Result types read from CSV as PGlite's query would return them; any other keeps the query. */
const CONVERT = new Map<number, Convert>([
  [16, asBool],
  [20, asInt8],
  [21, asNumber],
  [23, asNumber],
  [700, asNumber],
  [701, asNumber],
  [19, asText],
  [25, asText],
  [869, asText],
  [1042, asText],
  [1043, asText],
  [1700, asText],
]);

/** Parameter types the COPY form can take (as settings, cast back to the type in the SQL). */
export const PARAM_TYPES = new Map<number, string>([
  [16, 'boolean'],
  [20, 'bigint'],
  [21, 'smallint'],
  [23, 'integer'],
  [25, 'text'],
  [700, 'real'],
  [701, 'float8'],
  [1043, 'text'],
]);

/** Whether every result column converts from CSV like PGlite's row decoder does. */
export function convertible(fields: readonly OutField[]): boolean {
  return fields.length > 0 && fields.every((f) => CONVERT.has(f.dataTypeID));
}

/**
 * The query with `$n` read from the session setting `flowlens.bulk_n`, cast to the parameter's
 * type, since COPY takes no parameters. The text changed is the caller's constant SQL; values
 * travel as settings (set_config with parameters), never in the text.
 */
export function withSettingParams(sql: string, types: readonly string[]): string {
  return sql.replace(
    /\$(\d+)\b/g,
    (_, n: string) => `current_setting('flowlens.bulk_${n}')::${types[Number(n) - 1]}`,
  );
}

/** Parses COPY's CSV (FORCE_QUOTE *) into one object per row, by `fields`. */
export function parseCopyCsv<T>(text: string, fields: readonly OutField[]): T[] {
  const convert = fields.map((f) => CONVERT.get(f.dataTypeID) ?? asText);
  const names = fields.map((f) => f.name);
  const n = fields.length;
  const rows: T[] = [];
  const len = text.length;
  let p = 0;
  while (p < len) {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      let value: unknown = null;
      if (text.charCodeAt(p) === 34) {
        // A quoted value: "" inside stands for one quote.
        let out = '';
        let from = p + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw new Error('COPY output ends inside a quoted value');
          if (text.charCodeAt(q + 1) === 34) {
            out += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          out += text.slice(from, q);
          p = q + 1;
          break;
        }
        value = convert[i](out);
      }
      row[names[i]] = value;
      const sep = text.charCodeAt(p);
      if (i < n - 1) {
        if (sep !== 44) throw new Error(`COPY output: expected a comma at ${p}`);
        p++;
      } else {
        if (sep === 13) p++;
        if (p < len && text.charCodeAt(p) !== 10) throw new Error(`COPY output: expected a row end at ${p}`);
        p++;
      }
    }
    rows.push(row as T);
  }
  return rows;
}
