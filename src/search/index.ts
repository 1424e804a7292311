export {
  type CompiledSearch,
  compile,
  DEFAULT_COUNT_CAP,
  DEFAULT_PAGE,
  decodeCursor,
  encodeCursor,
  globToLike,
  SEARCH_SORTS,
  type SearchContext,
  type SearchCursor,
  type SearchSort,
  type SqlQuery,
} from './compile.js';
export {
  DEFAULT_REGISTRY,
  FIELDS,
  type FieldRegistry,
  type FieldSpec,
  type FieldType,
  fieldRegistry,
  nearestNames,
} from './fields.js';
export {
  type CompareOp,
  type Comparison,
  DEFAULT_TOP,
  type Expr,
  FilterError,
  MAX_DEPTH,
  MAX_EXPRESSION_LENGTH,
  MAX_TOP,
  type ParseResult,
  parse,
  type Query,
  type TopClause,
  type TopMetric,
} from './parse.js';
export { MAX_REGEX_LENGTH, type Value } from './values.js';
