/**
 * Columnar loading into DuckDB: rows are written into typed arrays, and every 2048 rows (DuckDB's vector
 * size) the columns are copied into a data chunk in one memcpy each and handed to an appender. No SQL
 * INSERT, no per-value native call for numbers. BIGINT columns are filled through a 32-bit view (low and
 * high word), so no BigInt is ever created; NULLs go into a validity mask.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';

export type ColumnType = 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'BOOLEAN';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** The column may hold NULL (written as `null`, or NaN for numbers). */
  nullable?: boolean;
}

export const VECTOR_SIZE = 2048;

const TYPE_IDS: Record<ColumnType, number> = {
  INTEGER: duckdb.Type.INTEGER,
  BIGINT: duckdb.Type.BIGINT,
  DOUBLE: duckdb.Type.DOUBLE,
  VARCHAR: duckdb.Type.VARCHAR,
  BOOLEAN: duckdb.Type.BOOLEAN,
};

type Buffer =
  | { kind: 'i32'; data: Int32Array }
  | { kind: 'f64'; data: Float64Array }
  | { kind: 'i64'; data: BigInt64Array; words: Uint32Array }
  | { kind: 'u8'; data: Uint8Array }
  | { kind: 'str'; data: (string | null)[] };

export class TableWriter {
  readonly columns: readonly ColumnSpec[];
  private readonly buffers: Buffer[];
  private readonly nulls: (Uint8Array | null)[];
  private readonly types: duckdb.LogicalType[];
  private n = 0;
  /** Rows written so far. */
  rows = 0;

  private constructor(
    readonly table: string,
    columns: readonly ColumnSpec[],
    private readonly appender: DuckDBAppender,
  ) {
    this.columns = columns;
    this.types = columns.map((c) => duckdb.create_logical_type(TYPE_IDS[c.type]));
    this.buffers = columns.map((c): Buffer => {
      switch (c.type) {
        case 'INTEGER':
          return { kind: 'i32', data: new Int32Array(VECTOR_SIZE) };
        case 'DOUBLE':
          return { kind: 'f64', data: new Float64Array(VECTOR_SIZE) };
        case 'BIGINT': {
          const data = new BigInt64Array(VECTOR_SIZE);
          return { kind: 'i64', data, words: new Uint32Array(data.buffer) };
        }
        case 'BOOLEAN':
          return { kind: 'u8', data: new Uint8Array(VECTOR_SIZE) };
        case 'VARCHAR':
          return { kind: 'str', data: new Array<string | null>(VECTOR_SIZE).fill(null) };
      }
    });
    this.nulls = columns.map((c) => (c.nullable ? new Uint8Array(VECTOR_SIZE) : null));
  }

  static async open(con: DuckDBConnection, table: string, columns: readonly ColumnSpec[]): Promise<TableWriter> {
    return new TableWriter(table, columns, await con.createAppender(table));
  }

  /**
   * Append one row; values in column order: numbers (NaN = NULL for nullable numeric columns), strings
   * or null. Integers must be exact (below 2^53).
   */
  add(...values: (number | string | null | boolean)[]): void {
    const i = this.n;
    for (let c = 0; c < values.length; c++) this.set(c, i, values[c]!);
    if (++this.n === VECTOR_SIZE) this.flush();
  }

  /** Column-wise fast path: set column `c` of the current row. Call `next()` after the last column. */
  set(c: number, i: number, v: number | string | null | boolean): void {
    const b = this.buffers[c]!;
    const nulls = this.nulls[c];
    const isNull = v === null || (typeof v === 'number' && Number.isNaN(v));
    if (nulls) nulls[i] = isNull ? 1 : 0;
    else if (isNull) throw new Error(`${this.table}.${this.columns[c]!.name}: NULL in a NOT NULL column`);
    switch (b.kind) {
      case 'i32':
        b.data[i] = isNull ? 0 : (v as number);
        return;
      case 'f64':
        b.data[i] = isNull ? 0 : (v as number);
        return;
      case 'u8':
        b.data[i] = v ? 1 : 0;
        return;
      case 'str':
        b.data[i] = isNull ? null : String(v);
        return;
      case 'i64':
        put64(b.words, i, isNull ? 0 : (v as number));
        return;
    }
  }

  get current(): number {
    return this.n;
  }

  // Direct column access for hot loaders: write row `current` of each column, then call next().
  i32(c: number): Int32Array {
    const b = this.buffers[c]!;
    if (b.kind !== 'i32') throw new Error(`${this.table}.${this.columns[c]!.name} is not INTEGER`);
    return b.data;
  }

  f64(c: number): Float64Array {
    const b = this.buffers[c]!;
    if (b.kind !== 'f64') throw new Error(`${this.table}.${this.columns[c]!.name} is not DOUBLE`);
    return b.data;
  }

  /** A BIGINT column as 32-bit words (use put64). */
  i64(c: number): Uint32Array {
    const b = this.buffers[c]!;
    if (b.kind !== 'i64') throw new Error(`${this.table}.${this.columns[c]!.name} is not BIGINT`);
    return b.words;
  }

  /** The NULL flags of a nullable column (1 = NULL). */
  nullFlags(c: number): Uint8Array {
    const n = this.nulls[c];
    if (!n) throw new Error(`${this.table}.${this.columns[c]!.name} is not nullable`);
    return n;
  }

  next(): void {
    if (++this.n === VECTOR_SIZE) this.flush();
  }

  /** Hand the buffered rows to DuckDB. */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const chunk = duckdb.create_data_chunk(this.types);
    duckdb.data_chunk_set_size(chunk, n);
    this.buffers.forEach((b, c) => {
      const vector = duckdb.data_chunk_get_vector(chunk, c);
      switch (b.kind) {
        case 'i32':
        case 'f64':
        case 'i64':
        case 'u8':
          duckdb.copy_data_to_vector(vector, 0, b.data.buffer as ArrayBuffer, 0, n * b.data.BYTES_PER_ELEMENT);
          break;
        case 'str':
          for (let i = 0; i < n; i++) {
            const s = b.data[i];
            if (s !== null && s !== undefined) duckdb.vector_assign_string_element(vector, i, s);
          }
          break;
      }
      const nulls = this.nulls[c];
      if (nulls) {
        let any = false;
        for (let i = 0; i < n; i++) if (nulls[i]) any = true;
        if (any) {
          duckdb.vector_ensure_validity_writable(vector);
          const mask = new Uint8Array(Math.ceil(n / 64) * 8);
          for (let i = 0; i < n; i++) if (!nulls[i]) mask[i >> 3]! |= 1 << (i & 7);
          duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.length);
        }
      }
    });
    this.appender.appendDataChunk(new DuckDBDataChunk(chunk));
    this.rows += n;
    this.n = 0;
  }

  close(): void {
    this.flush();
    this.appender.closeSync();
  }
}

/** Store an integer (|v| < 2^53) as a little-endian int64 at index i of a word view. */
export function put64(words: Uint32Array, i: number, v: number): void {
  if (v >= 0) {
    words[2 * i] = v % 4294967296;
    words[2 * i + 1] = Math.floor(v / 4294967296);
  } else {
    // Two's complement of a negative value (-1 sentinels, negative results).
    const lo = -v % 4294967296;
    const hi = Math.floor(-v / 4294967296);
    words[2 * i] = (~lo + 1) >>> 0;
    words[2 * i + 1] = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
}
