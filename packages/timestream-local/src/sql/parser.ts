import type { TimestreamError } from '../errors.js';
import type {
  ArithmeticOperator,
  CastTarget,
  ComparisonOperator,
  Expr,
  Identifier,
  OrderItem,
  ParsedStatement,
  SelectItem,
  SelectQuery,
  TableName,
} from './ast.js';
import { type IntervalUnit, type Position, syntaxError, type Token } from './tokens.js';

/**
 * Trino's reserved words: unquoted, they are never identifiers. Everything else (`time`, `date`,
 * `limit`, ...) is a valid bare column name, as in Trino.
 */
const RESERVED = new Set([
  'ALTER',
  'AND',
  'AS',
  'BETWEEN',
  'BY',
  'CASE',
  'CAST',
  'CONSTRAINT',
  'CREATE',
  'CROSS',
  'CUBE',
  'CURRENT_CATALOG',
  'CURRENT_DATE',
  'CURRENT_PATH',
  'CURRENT_ROLE',
  'CURRENT_SCHEMA',
  'CURRENT_TIME',
  'CURRENT_TIMESTAMP',
  'CURRENT_USER',
  'DEALLOCATE',
  'DELETE',
  'DESCRIBE',
  'DISTINCT',
  'DROP',
  'ELSE',
  'END',
  'ESCAPE',
  'EXCEPT',
  'EXECUTE',
  'EXISTS',
  'EXTRACT',
  'FALSE',
  'FOR',
  'FROM',
  'FULL',
  'GROUP',
  'GROUPING',
  'HAVING',
  'IN',
  'INNER',
  'INSERT',
  'INTERSECT',
  'INTO',
  'IS',
  'JOIN',
  'LEFT',
  'LIKE',
  'LISTAGG',
  'LOCALTIME',
  'LOCALTIMESTAMP',
  'NATURAL',
  'NORMALIZE',
  'NOT',
  'NULL',
  'ON',
  'OR',
  'ORDER',
  'OUTER',
  'PREPARE',
  'RECURSIVE',
  'RIGHT',
  'ROLLUP',
  'SELECT',
  'SKIP',
  'TABLE',
  'THEN',
  'TRIM',
  'TRUE',
  'UESCAPE',
  'UNION',
  'UNNEST',
  'USING',
  'VALUES',
  'WHEN',
  'WHERE',
  'WITH',
]);

/** Non-reserved words that start a clause, so they cannot be an alias written without AS. */
const CLAUSE_WORDS = new Set(['LIMIT', 'OFFSET', 'FETCH', 'WINDOW', 'TABLESAMPLE']);

const JOIN_WORDS = new Set(['JOIN', 'CROSS', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'NATURAL']);
const SET_OPERATIONS = new Set(['UNION', 'INTERSECT', 'EXCEPT']);

const CAST_TARGETS: readonly CastTarget[] = [
  'varchar',
  'bigint',
  'integer',
  'double',
  'boolean',
  'timestamp',
];

/** `INTERVAL '5' MINUTE` fields, mapped to the Timestream literal unit. */
const INTERVAL_FIELDS: Readonly<Record<string, IntervalUnit>> = {
  DAY: 'd',
  HOUR: 'h',
  MINUTE: 'm',
  SECOND: 's',
};

const COMPARISONS: Readonly<Record<string, ComparisonOperator>> = {
  '=': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

const upper = (token: Token): string | undefined =>
  token.kind === 'word' ? token.value.toUpperCase() : undefined;

const mismatched = (token: Token, expecting: string): TimestreamError =>
  syntaxError(token.pos, `mismatched input '${token.text}'. Expecting: ${expecting}`);

const unsupported = (pos: Position, what: string): TimestreamError =>
  syntaxError(pos, `${what} is not supported`);

/** The parser's only state: a cursor over the tokens (which always end with `eof`). */
class TokenStream {
  private index = 0;

  public constructor(private readonly tokens: readonly Token[]) {}

  public peek(ahead = 0): Token {
    const last = this.tokens[this.tokens.length - 1] as Token;
    return this.tokens[this.index + ahead] ?? last;
  }

  public next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  public isWord(word: string, ahead = 0): boolean {
    return upper(this.peek(ahead)) === word;
  }

  public isSymbol(symbol: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'symbol' && token.value === symbol;
  }

  public acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.index++;
    return true;
  }

  public acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.index++;
    return true;
  }

  public expectWord(word: string): Token {
    if (!this.isWord(word)) throw mismatched(this.peek(), `'${word}'`);
    return this.next();
  }

  public expectSymbol(symbol: string): Token {
    if (!this.isSymbol(symbol)) throw mismatched(this.peek(), `'${symbol}'`);
    return this.next();
  }
}

const isIdentifierToken = (token: Token): boolean =>
  token.kind === 'quoted' || (token.kind === 'word' && !RESERVED.has(token.value.toUpperCase()));

const parseIdentifier = (s: TokenStream): Identifier => {
  const token = s.peek();
  if ((token.kind !== 'word' && token.kind !== 'quoted') || !isIdentifierToken(token)) {
    throw mismatched(token, '<identifier>');
  }
  s.next();
  return { value: token.value, pos: token.pos };
};

/** An alias after `AS`, or a bare one where the next word cannot start a clause. */
const parseOptionalAlias = (s: TokenStream): Identifier | undefined => {
  if (s.acceptWord('AS')) return parseIdentifier(s);
  const token = s.peek();
  if (isIdentifierToken(token) && !CLAUSE_WORDS.has(upper(token) ?? '')) return parseIdentifier(s);
  return undefined;
};

const parseTableName = (s: TokenStream): TableName => {
  const pos = s.peek().pos;
  if (s.isSymbol('(')) throw syntaxError(pos, 'Subqueries are not supported');
  if (s.isWord('UNNEST') || s.isWord('LATERAL')) throw unsupported(pos, upper(s.peek()) as string);
  const parts = [parseIdentifier(s)];
  while (s.acceptSymbol('.')) parts.push(parseIdentifier(s));
  const [first, second] = parts;
  if (parts.length === 1 && first !== undefined) {
    throw syntaxError(
      pos,
      `Table '${first.value}' must be qualified with its database, as "database"."table"`,
    );
  }
  if (parts.length > 2 || first === undefined || second === undefined) {
    throw syntaxError(pos, `Too many dots in table name '${parts.map((p) => p.value).join('.')}'`);
  }
  return { pos, database: first, table: second };
};

// ---------------------------------------------------------------------------------------------
// Expressions, following Trino's grammar: OR < AND < NOT < predicate < || < + - < * / % < unary.

const parseExpression = (s: TokenStream): Expr => parseOr(s);

const parseOr = (s: TokenStream): Expr => {
  let left = parseAnd(s);
  while (s.acceptWord('OR')) left = { kind: 'logical', pos: left.pos, op: 'OR', left, right: parseAnd(s) };
  return left;
};

const parseAnd = (s: TokenStream): Expr => {
  let left = parseNot(s);
  while (s.acceptWord('AND')) left = { kind: 'logical', pos: left.pos, op: 'AND', left, right: parseNot(s) };
  return left;
};

const parseNot = (s: TokenStream): Expr => {
  const pos = s.peek().pos;
  if (s.acceptWord('NOT')) return { kind: 'not', pos, operand: parseNot(s) };
  return parsePredicated(s);
};

/** A value optionally followed by one predicate; Trino does not chain them (`a = b = c` is invalid). */
const parsePredicated = (s: TokenStream): Expr => {
  const left = parseConcat(s);
  const token = s.peek();
  const pos = left.pos;
  if (token.kind === 'symbol' && Object.hasOwn(COMPARISONS, token.value)) {
    s.next();
    if ((s.isWord('ALL') || s.isWord('ANY') || s.isWord('SOME')) && s.isSymbol('(', 1)) {
      throw unsupported(s.peek().pos, 'Quantified comparison (ALL, ANY, SOME)');
    }
    const op = COMPARISONS[token.value] as ComparisonOperator;
    return {
      kind: 'comparison',
      pos,
      opPos: token.pos,
      op,
      written: token.value,
      left,
      right: parseConcat(s),
    };
  }
  if (s.isWord('IS')) {
    const opPos = s.next().pos;
    const negated = s.acceptWord('NOT');
    if (s.acceptWord('NULL')) return { kind: 'is-null', pos, negated, operand: left };
    if (s.acceptWord('DISTINCT')) {
      s.expectWord('FROM');
      return { kind: 'distinct-from', pos, opPos, negated, left, right: parseConcat(s) };
    }
    throw mismatched(s.peek(), "'NULL', 'DISTINCT'");
  }
  const negated = s.isWord('NOT') && (s.isWord('BETWEEN', 1) || s.isWord('IN', 1) || s.isWord('LIKE', 1));
  if (negated) s.next();
  if (s.acceptWord('BETWEEN')) {
    const low = parseConcat(s);
    s.expectWord('AND');
    return { kind: 'between', pos, negated, operand: left, low, high: parseConcat(s) };
  }
  if (s.acceptWord('IN')) {
    s.expectSymbol('(');
    if (s.isWord('SELECT') || s.isWord('WITH'))
      throw syntaxError(s.peek().pos, 'Subqueries are not supported');
    const list = [parseExpression(s)];
    while (s.acceptSymbol(',')) list.push(parseExpression(s));
    s.expectSymbol(')');
    return { kind: 'in', pos, negated, operand: left, list };
  }
  if (s.acceptWord('LIKE')) {
    const pattern = parseConcat(s);
    if (s.isWord('ESCAPE')) throw unsupported(s.peek().pos, 'LIKE ... ESCAPE');
    return { kind: 'like', pos, negated, operand: left, pattern };
  }
  return left;
};

const parseConcat = (s: TokenStream): Expr => {
  let left = parseAdditive(s);
  while (s.isSymbol('||')) {
    const opPos = s.next().pos;
    left = { kind: 'concat', pos: left.pos, opPos, left, right: parseAdditive(s) };
  }
  return left;
};

const parseAdditive = (s: TokenStream): Expr => {
  let left = parseMultiplicative(s);
  while (s.isSymbol('+') || s.isSymbol('-')) {
    const token = s.next();
    const op = token.text as ArithmeticOperator;
    left = { kind: 'arithmetic', pos: left.pos, opPos: token.pos, op, left, right: parseMultiplicative(s) };
  }
  return left;
};

const parseMultiplicative = (s: TokenStream): Expr => {
  let left = parseUnary(s);
  while (s.isSymbol('*') || s.isSymbol('/') || s.isSymbol('%')) {
    const token = s.next();
    const op = token.text as ArithmeticOperator;
    left = { kind: 'arithmetic', pos: left.pos, opPos: token.pos, op, left, right: parseUnary(s) };
  }
  return left;
};

const parseUnary = (s: TokenStream): Expr => {
  const pos = s.peek().pos;
  if (s.acceptSymbol('-')) return { kind: 'negate', pos, operand: parseUnary(s) };
  // Unary plus is the identity; Trino keeps it only in its tree, so it leaves no trace here.
  if (s.acceptSymbol('+')) return parseUnary(s);
  const primary = parsePrimary(s);
  const after = s.peek();
  if (after.kind === 'symbol' && after.value === '[') throw unsupported(after.pos, 'Subscript operator ([])');
  if (after.kind === 'symbol' && after.value === '::') {
    throw syntaxError(after.pos, "'::' casts are not supported; use CAST(value AS type)");
  }
  if (s.isWord('AT') && s.isWord('TIME', 1)) throw unsupported(after.pos, 'AT TIME ZONE');
  return primary;
};

const parseCastTarget = (s: TokenStream): CastTarget => {
  const token = s.peek();
  if (token.kind !== 'word') throw mismatched(token, '<type>');
  s.next();
  const name = token.value.toLowerCase();
  const target = CAST_TARGETS.find((t) => t === name);
  if (target === undefined || s.isSymbol('(')) {
    throw syntaxError(
      token.pos,
      `Type '${token.value}' is not supported; use varchar, bigint, integer, double, boolean or timestamp`,
    );
  }
  return target;
};

/** `INTERVAL '15' MINUTE`: whole numbers of a day-to-second field only. */
const parseStandardInterval = (s: TokenStream, pos: Position): Expr => {
  if (s.isSymbol('-')) throw unsupported(s.peek().pos, 'A negative interval literal');
  s.acceptSymbol('+');
  const value = s.next();
  const field = s.next();
  if (value.kind !== 'string') throw mismatched(value, '<string>');
  const name = upper(field);
  if (name === 'YEAR' || name === 'MONTH') throw unsupported(field.pos, 'A year-month interval');
  const unit = name === undefined ? undefined : INTERVAL_FIELDS[name];
  if (unit === undefined) throw mismatched(field, "'DAY', 'HOUR', 'MINUTE', 'SECOND'");
  if (!/^\d+$/.test(value.value)) {
    throw syntaxError(
      value.pos,
      `interval value '${value.value}' must be a whole number of ${name?.toLowerCase()}s`,
    );
  }
  if (s.isWord('TO')) throw unsupported(s.peek().pos, 'An interval range (TO)');
  return {
    kind: 'interval',
    pos,
    text: `INTERVAL '${value.value}' ${name}`,
    amount: BigInt(value.value),
    unit,
  };
};

const parseCase = (s: TokenStream, pos: Position): Expr => {
  const operand = s.isWord('WHEN') ? undefined : parseExpression(s);
  const whens: { when: Expr; result: Expr }[] = [];
  while (s.acceptWord('WHEN')) {
    const when = parseExpression(s);
    s.expectWord('THEN');
    whens.push({ when, result: parseExpression(s) });
  }
  if (whens.length === 0) throw mismatched(s.peek(), "'WHEN'");
  const otherwise = s.acceptWord('ELSE') ? parseExpression(s) : undefined;
  s.expectWord('END');
  return { kind: 'case', pos, operand, whens, otherwise };
};

const parseCall = (s: TokenStream, name: string, pos: Position): Expr => {
  s.expectSymbol('(');
  let star = false;
  let distinct = false;
  const args: Expr[] = [];
  if (s.acceptSymbol('*')) {
    star = true;
  } else if (!s.isSymbol(')')) {
    distinct = s.acceptWord('DISTINCT');
    if (!distinct) s.acceptWord('ALL');
    args.push(parseExpression(s));
    while (s.acceptSymbol(',')) args.push(parseExpression(s));
    if (s.isWord('ORDER')) throw unsupported(s.peek().pos, 'ORDER BY inside a function call');
  }
  s.expectSymbol(')');
  if (s.isWord('FILTER')) throw unsupported(s.peek().pos, 'FILTER');
  if (s.isWord('OVER')) throw syntaxError(s.peek().pos, 'Window functions are not supported');
  if ((s.isWord('IGNORE') || s.isWord('RESPECT')) && s.isWord('NULLS', 1)) {
    throw unsupported(s.peek().pos, 'IGNORE NULLS / RESPECT NULLS');
  }
  return { kind: 'call', pos, name, args, distinct, star };
};

const parsePrimary = (s: TokenStream): Expr => {
  const token = s.peek();
  const pos = token.pos;
  switch (token.kind) {
    case 'string':
      s.next();
      return { kind: 'string', pos, value: token.value };
    case 'integer':
      s.next();
      return { kind: 'integer', pos, value: token.value };
    case 'decimal':
      s.next();
      return { kind: 'double', pos, value: token.value };
    case 'interval':
      s.next();
      return { kind: 'interval', pos, text: token.text, amount: token.amount, unit: token.unit };
    case 'symbol':
      if (token.value === '(') {
        s.next();
        if (s.isWord('SELECT') || s.isWord('WITH'))
          throw syntaxError(s.peek().pos, 'Subqueries are not supported');
        const inner = parseExpression(s);
        if (s.isSymbol(',')) throw unsupported(pos, 'A row constructor');
        s.expectSymbol(')');
        return inner;
      }
      if (token.value === '?') throw unsupported(pos, "A query parameter ('?')");
      throw mismatched(token, '<expression>');
    case 'quoted':
      return parseNameOrCall(s);
    case 'word':
      break;
    default:
      throw mismatched(token, '<expression>');
  }
  const word = token.value.toUpperCase();
  switch (word) {
    case 'NULL':
      s.next();
      return { kind: 'null', pos };
    case 'TRUE':
    case 'FALSE':
      s.next();
      return { kind: 'boolean', pos, value: word === 'TRUE' };
    case 'CASE':
      s.next();
      return parseCase(s, pos);
    case 'CAST': {
      s.next();
      s.expectSymbol('(');
      const operand = parseExpression(s);
      s.expectWord('AS');
      const target = parseCastTarget(s);
      s.expectSymbol(')');
      return { kind: 'cast', pos, safe: false, operand, target };
    }
    case 'EXISTS':
      throw syntaxError(pos, 'Subqueries are not supported');
    case 'CURRENT_TIMESTAMP':
    case 'CURRENT_DATE':
    case 'CURRENT_TIME':
    case 'LOCALTIME':
    case 'LOCALTIMESTAMP':
      throw syntaxError(pos, `${word} is not supported; use now()`);
    default:
      break;
  }
  if (RESERVED.has(word)) {
    if (s.isSymbol('(', 1)) throw unsupported(pos, word);
    throw mismatched(token, '<expression>');
  }
  const following = s.peek(1);
  if (following.kind === 'string') {
    if (word === 'TIMESTAMP') {
      s.next();
      s.next();
      return { kind: 'timestamp', pos, value: following.value };
    }
    if (word === 'INTERVAL') {
      s.next();
      return parseStandardInterval(s, pos);
    }
    throw unsupported(pos, `A ${word} literal`);
  }
  if (word === 'INTERVAL' && (s.isSymbol('+', 1) || s.isSymbol('-', 1)) && s.peek(2).kind === 'string') {
    s.next();
    return parseStandardInterval(s, pos);
  }
  if (word === 'TRY_CAST' && s.isSymbol('(', 1)) {
    s.next();
    s.next();
    const operand = parseExpression(s);
    s.expectWord('AS');
    const target = parseCastTarget(s);
    s.expectSymbol(')');
    return { kind: 'cast', pos, safe: true, operand, target };
  }
  if (word === 'ARRAY' && s.isSymbol('[', 1)) throw unsupported(pos, 'ARRAY');
  return parseNameOrCall(s);
};

/** A function call, or a column reference with its qualifiers (`t.col`, `"db"."t"."col"`). */
const parseNameOrCall = (s: TokenStream): Expr => {
  const pos = s.peek().pos;
  const first = parseIdentifier(s);
  if (s.isSymbol('(')) return parseCall(s, first.value.toLowerCase(), pos);
  const parts = [first];
  while (s.isSymbol('.')) {
    s.next();
    if (s.isSymbol('*')) throw mismatched(s.peek(), '<identifier>');
    parts.push(parseIdentifier(s));
  }
  if (s.isSymbol('('))
    throw syntaxError(pos, `Function '${parts.map((p) => p.value).join('.')}' not registered`);
  return { kind: 'column', pos, parts };
};

// ---------------------------------------------------------------------------------------------
// Statements.

/** `t.*` / `"db"."t".*`: identifiers separated by dots, ending in `.*`. */
const qualifiedStarLength = (s: TokenStream): number => {
  let ahead = 0;
  while (isIdentifierToken(s.peek(ahead)) && s.isSymbol('.', ahead + 1)) {
    if (s.isSymbol('*', ahead + 2)) return ahead + 3;
    ahead += 2;
  }
  return 0;
};

const parseSelectItem = (s: TokenStream): SelectItem => {
  const pos = s.peek().pos;
  if (s.acceptSymbol('*')) return { kind: 'star', pos, qualifier: [] };
  if (qualifiedStarLength(s) > 0) {
    const qualifier = [parseIdentifier(s)];
    s.expectSymbol('.');
    while (!s.isSymbol('*')) {
      qualifier.push(parseIdentifier(s));
      s.expectSymbol('.');
    }
    s.next();
    return { kind: 'star', pos, qualifier };
  }
  const expr = parseExpression(s);
  return { kind: 'expr', expr, alias: parseOptionalAlias(s) };
};

const parseOrderItem = (s: TokenStream): OrderItem => {
  const expr = parseExpression(s);
  const descending = s.acceptWord('DESC');
  if (!descending) s.acceptWord('ASC');
  let nullsFirst: boolean | undefined;
  if (s.acceptWord('NULLS')) {
    if (s.acceptWord('FIRST')) nullsFirst = true;
    else if (s.acceptWord('LAST')) nullsFirst = false;
    else throw mismatched(s.peek(), "'FIRST', 'LAST'");
  }
  return { expr, descending, nullsFirst };
};

const parseFrom = (s: TokenStream): SelectQuery['from'] => {
  const name = parseTableName(s);
  const alias = parseOptionalAlias(s);
  const after = s.peek();
  if (s.isSymbol(',') || JOIN_WORDS.has(upper(after) ?? '')) throw unsupported(after.pos, 'JOIN');
  if (s.isWord('TABLESAMPLE')) throw unsupported(after.pos, 'TABLESAMPLE');
  return { name, alias };
};

const parseSelect = (s: TokenStream): SelectQuery => {
  s.expectWord('SELECT');
  const distinct = s.acceptWord('DISTINCT');
  if (!distinct) s.acceptWord('ALL');
  const items = [parseSelectItem(s)];
  while (s.acceptSymbol(',')) items.push(parseSelectItem(s));
  const from = s.acceptWord('FROM') ? parseFrom(s) : undefined;
  const where = s.acceptWord('WHERE') ? parseExpression(s) : undefined;
  const groupBy: Expr[] = [];
  if (s.acceptWord('GROUP')) {
    s.expectWord('BY');
    for (const word of ['ROLLUP', 'CUBE', 'GROUPING']) {
      if (s.isWord(word)) throw unsupported(s.peek().pos, word);
    }
    if (s.isWord('ALL') || s.isWord('DISTINCT'))
      throw unsupported(s.peek().pos, `GROUP BY ${upper(s.peek())}`);
    groupBy.push(parseExpression(s));
    while (s.acceptSymbol(',')) groupBy.push(parseExpression(s));
  }
  const having = s.acceptWord('HAVING') ? parseExpression(s) : undefined;
  if (s.isWord('WINDOW')) throw unsupported(s.peek().pos, 'WINDOW');
  const orderBy: OrderItem[] = [];
  if (s.acceptWord('ORDER')) {
    s.expectWord('BY');
    orderBy.push(parseOrderItem(s));
    while (s.acceptSymbol(',')) orderBy.push(parseOrderItem(s));
  }
  for (const word of ['OFFSET', 'FETCH']) {
    if (s.isWord(word)) throw unsupported(s.peek().pos, word);
  }
  let limit: bigint | undefined;
  if (s.acceptWord('LIMIT')) {
    const token = s.next();
    if (token.kind === 'integer') limit = token.value;
    else if (upper(token) !== 'ALL') throw mismatched(token, "<integer>, 'ALL'");
    if (s.isWord('OFFSET')) throw unsupported(s.peek().pos, 'OFFSET');
  }
  return { kind: 'select', distinct, items, from, where, groupBy, having, orderBy, limit };
};

const parseStatement = (s: TokenStream): ParsedStatement => {
  const token = s.peek();
  const word = upper(token);
  if (word === 'SELECT') return parseSelect(s);
  if (word === 'DESCRIBE' || word === 'DESC') {
    s.next();
    return { kind: 'describe', table: parseTableName(s) };
  }
  if (word === 'SHOW') {
    s.next();
    const what = s.peek();
    if (!s.acceptWord('MEASURES')) {
      throw syntaxError(what.pos, `SHOW ${what.text.toUpperCase()} is not supported; only SHOW MEASURES is`);
    }
    s.expectWord('FROM');
    const table = parseTableName(s);
    let like: string | undefined;
    if (s.acceptWord('LIKE')) {
      const pattern = s.next();
      if (pattern.kind !== 'string') throw mismatched(pattern, '<string>');
      if (s.isWord('ESCAPE')) throw unsupported(s.peek().pos, 'LIKE ... ESCAPE');
      like = pattern.value;
    }
    return { kind: 'show-measures', table, like };
  }
  if (word === 'WITH') throw unsupported(token.pos, 'WITH (common table expressions)');
  if (token.kind === 'symbol' && token.value === '(') throw unsupported(token.pos, 'A parenthesized query');
  if (word !== undefined) {
    throw syntaxError(
      token.pos,
      `${word} statements are not supported; only SELECT, DESCRIBE and SHOW MEASURES are`,
    );
  }
  throw mismatched(token, "'SELECT', 'DESCRIBE', 'SHOW'");
};

/** Parses one statement, optionally followed by a single `;`. */
export const parse = (tokens: readonly Token[]): ParsedStatement => {
  const s = new TokenStream(tokens);
  const statement = parseStatement(s);
  if (s.acceptSymbol(';') && s.peek().kind !== 'eof') {
    throw syntaxError(s.peek().pos, 'Multiple statements are not supported');
  }
  const trailing = s.peek();
  if (trailing.kind === 'eof') return statement;
  const word = upper(trailing) ?? '';
  if (SET_OPERATIONS.has(word)) throw unsupported(trailing.pos, word);
  throw mismatched(trailing, '<EOF>');
};
