import {
  DEFAULT_REGISTRY,
  type FieldRegistry,
  type FieldSpec,
  type FieldType,
  nearestNames,
} from './fields.js';
import {
  checkRegex,
  EXPECTED,
  readAddress,
  readDuration,
  readNumber,
  readPort,
  readService,
  readTime,
  serviceNames,
  type Value,
  ValueError,
} from './values.js';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '~' | '!~';

/** One field compared with one value, or with a list (`in`). `column` is where the field starts. */
export interface Comparison {
  kind: 'compare';
  field: string;
  op: CompareOp;
  values: Value[];
  column: number;
}

export type Expr =
  | { kind: 'and'; terms: Expr[] }
  | { kind: 'or'; terms: Expr[] }
  | { kind: 'not'; term: Expr }
  | Comparison;

export type TopMetric = 'flows' | 'bytes' | 'packets';

/** `| top [N] FIELD [by flows|bytes|packets]`: the N values of FIELD with the most of the metric. */
export interface TopClause {
  field: string;
  by: TopMetric;
  limit: number;
  column: number;
}

/** A parsed search: the filter (null matches every flow) and an optional group-by. */
export interface Query {
  filter: Expr | null;
  top: TopClause | null;
}

/** A malformed expression: where (1-based column, in characters) and what was expected there. */
export class FilterError extends Error {
  override name = 'FilterError';
  constructor(
    message: string,
    readonly column: number,
    readonly expected: string,
    readonly found: string | null,
  ) {
    super(message);
  }
}

export type ParseResult = { ok: true; query: Query } | { ok: false; error: FilterError };

/** Longest expression read, in characters: bounds the SQL and its parameters too. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Deepest nesting of parentheses and `not`: deeper is refused with a message, never a stack overflow. */
export const MAX_DEPTH = 64;
export const DEFAULT_TOP = 10;
export const MAX_TOP = 1000;

const OPERATORS: Record<FieldType, readonly CompareOp[]> = {
  address: ['==', '!=', 'in', 'not in'],
  port: ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'],
  number: ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'],
  duration: ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'],
  time: ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'],
  text: ['==', '!=', 'in', 'not in', '~', '!~'],
  enum: ['==', '!=', 'in', 'not in'],
  service: ['==', '!=', 'in', 'not in'],
};

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'top', 'by']);
const METRICS: readonly TopMetric[] = ['flows', 'bytes', 'packets'];
const FIELD_NAME = /[A-Za-z_][A-Za-z0-9_.]*/y;
// A bare value runs up to a space, a bracket, a comma, a pipe, a quote or an operator character.
const BARE_VALUE = /[^\s()|,"'=<>!~&]+/y;

interface Token {
  text: string;
  start: number;
  end: number;
  kind: 'word' | 'string' | 'regex';
}

/** Parses a search expression into its tree, or says where it is malformed and what was expected. */
export function parse(text: string, registry: FieldRegistry = DEFAULT_REGISTRY): ParseResult {
  try {
    return { ok: true, query: new Parser(text, registry).query() };
  } catch (err) {
    if (err instanceof FilterError) return { ok: false, error: err };
    throw err;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  /** Whether the text has characters outside the BMP (which make columns costlier to count). */
  private readonly astral: boolean;

  constructor(
    private readonly src: string,
    private readonly registry: FieldRegistry,
  ) {
    this.astral = /[\uD800-\uDBFF]/.test(src);
  }

  query(): Query {
    if (this.src.length > MAX_EXPRESSION_LENGTH) {
      this.pos = MAX_EXPRESSION_LENGTH;
      this.fail(`an expression of at most ${MAX_EXPRESSION_LENGTH} characters`, null);
    }
    const nul = this.src.indexOf('\u0000');
    if (nul >= 0) {
      // PostgreSQL's text cannot hold one: refused here rather than by the database.
      this.pos = nul;
      this.fail('no NUL character', null);
    }
    this.space();
    const filter = this.atEnd() || this.peek('|') ? null : this.or();
    let top: TopClause | null = null;
    if (this.peek('|')) {
      this.pos++;
      top = this.top();
    }
    this.space();
    if (!this.atEnd()) {
      const connectives = top === null ? '`and`, `or`, `|`' : '';
      this.fail(connectives ? `${connectives} or the end` : 'the end', this.token());
    }
    return { filter, top };
  }

  private or(): Expr {
    const terms = [this.and()];
    while (this.keyword('or') || this.symbol('||')) terms.push(this.and());
    return terms.length === 1 ? terms[0] : { kind: 'or', terms };
  }

  private and(): Expr {
    const terms = [this.unary()];
    while (this.keyword('and') || this.symbol('&&')) terms.push(this.unary());
    return terms.length === 1 ? terms[0] : { kind: 'and', terms };
  }

  private unary(): Expr {
    this.space();
    const start = this.pos;
    const negated = this.keyword('not') || (!this.peek('!=') && !this.peek('!~') && this.symbol('!'));
    if (negated || this.peek('(')) {
      if (++this.depth > MAX_DEPTH) {
        this.pos = start;
        this.fail(`at most ${MAX_DEPTH} levels of parentheses and \`not\``, null);
      }
      let e: Expr;
      if (negated) e = { kind: 'not', term: this.unary() };
      else {
        const open = this.pos;
        this.pos++;
        e = this.or();
        this.space();
        if (!this.peek(')')) {
          this.fail(
            `\`and\`, \`or\` or \`)\` (the \`(\` at column ${this.column(open)} is open)`,
            this.token(),
          );
        }
        this.pos++;
      }
      this.depth--;
      return e;
    }
    return this.comparison();
  }

  private comparison(): Comparison {
    this.space();
    const start = this.pos;
    FIELD_NAME.lastIndex = start;
    const m = FIELD_NAME.exec(this.src);
    const name = m?.[0].toLowerCase();
    if (!m || KEYWORDS.has(name!)) {
      this.fail('a field, `not` or `(`', this.token());
    }
    this.pos += m![0].length;
    const field = this.field(name!, m![0], start);
    const op = this.operator(field);
    const values: Value[] = [];
    this.space();
    if (op === 'in' || op === 'not in') {
      if (this.peek('(')) {
        this.pos++;
        do values.push(this.value(field, op, start));
        while (this.symbol(','));
        this.space();
        if (!this.peek(')')) this.fail('`,` or `)`', this.token(), start);
        this.pos++;
      } else values.push(this.value(field, op, start));
    } else values.push(this.value(field, op, start));
    return { kind: 'compare', field: field.name, op, values, column: this.column(start) };
  }

  private field(name: string, typed: string, start: number): FieldSpec {
    const field = this.registry.get(name);
    if (field !== undefined) return field;
    const near = nearestNames(name, this.registry.keys());
    const list = near.map((n) => `\`${n}\``);
    const mean = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0];
    throw new FilterError(
      `unknown field \`${typed}\` at column ${this.column(start)}: did you mean ${mean}?`,
      this.column(start),
      'a field',
      typed,
    );
  }

  private operator(field: FieldSpec): CompareOp {
    this.space();
    const at = this.pos;
    let op: CompareOp | null = null;
    for (const symbol of ['==', '!=', '<=', '>=', '!~', '<', '>', '~', '='] as const) {
      if (this.src.startsWith(symbol, at)) {
        op = symbol === '=' ? '==' : symbol;
        this.pos += symbol.length;
        break;
      }
    }
    if (op === null && this.keyword('in')) op = 'in';
    if (op === null && this.keyword('not')) {
      if (!this.keyword('in')) this.fail('`in` after `not`', this.token());
      op = 'not in';
    }
    const allowed = OPERATORS[field.type];
    if (op === null || !allowed.includes(op)) {
      this.pos = at;
      const list = allowed.map((o) => (o.includes(' ') ? `\`${o}\`` : o)).join(' ');
      const why = op === null ? '' : ` for \`${field.name}\``;
      this.fail(`an operator${why} (${list})`, this.token());
    }
    return op!;
  }

  private value(field: FieldSpec, op: CompareOp, comparisonStart: number): Value {
    this.space();
    const pattern = op === '~' || op === '!~';
    const tok = this.valueToken(pattern, comparisonStart);
    if (tok === null) this.fail('a value', this.token(), comparisonStart);
    const t = tok!;
    try {
      if (t.kind === 'regex') {
        checkRegex(t.text);
        return { kind: 'regex', regex: t.text };
      }
      if (pattern) return { kind: 'glob', glob: t.text };
      return this.typed(field, t.text);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      const offset = t.kind === 'word' ? err.offset : err.offset + 1;
      const shown = this.src.slice(t.start, t.end);
      this.pos = t.start;
      if (err.offset > 0) this.pos = Math.min(t.start + offset, this.src.length);
      this.fail(err.expected, shown, comparisonStart, this.pos, t.start);
    }
  }

  private expectation(field: FieldSpec): string {
    return field.type === 'enum' ? `one of ${field.enumValues!.join(', ')}` : EXPECTED[field.type];
  }

  private typed(field: FieldSpec, word: string): Value {
    switch (field.type) {
      case 'address':
        return readAddress(word);
      case 'port':
        return readPort(word);
      case 'number':
        return readNumber(word);
      case 'duration':
        return readDuration(word);
      case 'time':
        return readTime(word);
      case 'text':
        return { kind: 'text', text: word };
      case 'enum': {
        const v = field.enumValue!(word);
        if (v === null) throw new ValueError(this.expectation(field));
        return { kind: 'text', text: v };
      }
      case 'service':
        try {
          return readService(word);
        } catch (err) {
          if (!(err instanceof ValueError) || /^\d+$/.test(word)) throw err;
          const near = nearestNames(word, serviceNames(), 3).join(', ');
          throw new ValueError(`a service name (nearest: ${near})`);
        }
    }
  }

  /** A quoted string, a /regex/ (where a pattern may stand), or a bare word; null if none is here. */
  private valueToken(pattern: boolean, from: number): Token | null {
    const start = this.pos;
    const c = this.src[start];
    if (c === '"' || c === "'") return this.quoted(c, from);
    if (pattern && c === '/') {
      let i = start + 1;
      let body = '';
      while (i < this.src.length && this.src[i] !== '/') {
        // `\/` is a slash inside the expression; every other escape is the expression's own.
        if (this.src[i] === '\\' && this.src[i + 1] === '/') {
          body += '/';
          i += 2;
        } else if (this.src[i] === '\\' && i + 1 < this.src.length) {
          body += this.src.slice(i, i + 2);
          i += 2;
        } else body += this.src[i++];
      }
      if (i >= this.src.length) {
        this.pos = i;
        this.fail(
          `a \`/\` to end the regular expression that starts at column ${this.column(start)}`,
          null,
          from,
        );
      }
      this.pos = i + 1;
      return { text: body, start, end: this.pos, kind: 'regex' };
    }
    BARE_VALUE.lastIndex = start;
    const m = BARE_VALUE.exec(this.src);
    if (!m) return null;
    const word = m[0];
    if (KEYWORDS.has(word.toLowerCase())) return null;
    this.pos += word.length;
    return { text: word, start, end: this.pos, kind: 'word' };
  }

  /**
   * A string in double or single quotes. `\"`, `\'`, `\\`, `\uXXXX` and `\u{X…}` are escapes; any
   * other backslash is kept, so that a glob can say `\*` for a star.
   */
  private quoted(quote: string, from: number): Token {
    const start = this.pos;
    let i = start + 1;
    let text = '';
    while (i < this.src.length && this.src[i] !== quote) {
      const c = this.src[i];
      if (c !== '\\') {
        text += c;
        i++;
        continue;
      }
      const e = this.src[i + 1];
      if (e === quote || e === '\\' || e === '"' || e === "'") {
        text += e;
        i += 2;
      } else if (e === 'u') {
        const m = /^u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(this.src.slice(i + 1, i + 10));
        const code = m ? Number.parseInt(m[1] ?? m[2], 16) : Number.NaN;
        if (!m || code > 0x10ffff || code === 0) {
          this.pos = i;
          this.fail('a character code in `\\u` (\\u0041 or \\u{1F600}, not \\u0000)', null, from);
        }
        text += String.fromCodePoint(code);
        i += 1 + m![0].length;
      } else if (e === undefined) i++;
      else {
        text += c + e;
        i += 2;
      }
    }
    if (i >= this.src.length) {
      this.pos = i;
      this.fail(`a \`${quote}\` to end the text that starts at column ${this.column(start)}`, null, from);
    }
    this.pos = i + 1;
    return { text, start, end: this.pos, kind: 'string' };
  }

  private top(): TopClause {
    this.space();
    const start = this.pos;
    if (!this.keyword('top')) this.fail('`top`', this.token());
    this.space();
    let limit = DEFAULT_TOP;
    const digits = /\d+/y;
    digits.lastIndex = this.pos;
    const n = digits.exec(this.src);
    if (n) {
      limit = Number(n[0]);
      if (limit < 1 || limit > MAX_TOP) this.fail(`a count from 1 to ${MAX_TOP}`, n[0], start);
      this.pos += n[0].length;
      this.space();
    }
    const at = this.pos;
    FIELD_NAME.lastIndex = at;
    const m = FIELD_NAME.exec(this.src);
    if (!m || KEYWORDS.has(m[0].toLowerCase())) this.fail('a field to group by', this.token(), start);
    this.pos += m![0].length;
    const field = this.field(m![0].toLowerCase(), m![0], at);
    if (field.group === undefined) {
      this.pos = at;
      const groupable = [...this.registry.values()].filter((f) => f.group).map((f) => f.name);
      this.fail(`a field to group by (${groupable.join(', ')})`, m![0], start);
    }
    let by: TopMetric = 'flows';
    if (this.keyword('by')) {
      this.space();
      const w = /[A-Za-z]+/y;
      w.lastIndex = this.pos;
      const metric = w.exec(this.src)?.[0].toLowerCase();
      if (!metric || !(METRICS as readonly string[]).includes(metric)) {
        this.fail('`flows`, `bytes` or `packets`', this.token(), start);
      }
      by = metric as TopMetric;
      this.pos += metric!.length;
    }
    return { field: field.name, by, limit, column: this.column(start) };
  }

  // --- the characters ---

  private space(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private peek(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  private symbol(s: string): boolean {
    this.space();
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  /** A keyword in any case, as a whole word. */
  private keyword(word: string): boolean {
    this.space();
    const end = this.pos + word.length;
    if (this.src.slice(this.pos, end).toLowerCase() !== word) return false;
    if (end < this.src.length && /[A-Za-z0-9_.]/.test(this.src[end])) return false;
    this.pos = end;
    return true;
  }

  /** What stands at the current position, for "…, not `x`" (null at the end). */
  private token(): string | null {
    this.space();
    if (this.atEnd()) return null;
    const m = /[A-Za-z0-9_.:/*-]+|\S/y;
    m.lastIndex = this.pos;
    return m.exec(this.src)![0];
  }

  /** 1-based, in characters (a character outside the BMP counts once, not as its two halves). */
  private column(index: number): number {
    return this.astral ? Array.from(this.src.slice(0, index)).length + 1 : index + 1;
  }

  /**
   * Throws "expected WHAT after `CONTEXT` at column N, not `FOUND`". The context is the text
   * before the error (from `from`, else from the start; up to the value in error, which FOUND
   * shows whole), with its spaces closed up.
   */
  private fail(expected: string, found: string | null, from = 0, at = this.pos, contextEnd = at): never {
    let context = this.src.slice(from, contextEnd).replace(/\s+/g, ' ').trim();
    if (context.length > 40) context = `…${context.slice(-39)}`;
    const shownFound = found === null ? null : found.length > 30 ? `${found.slice(0, 29)}…` : found;
    const col = this.column(at);
    const message =
      `expected ${expected}${context ? ` after \`${context}\`` : ''} at column ${col}` +
      (shownFound === null ? '' : `, not \`${shownFound}\``);
    throw new FilterError(message, col, expected, found);
  }
}
