/**
 * Columnar rows without DuckDB: a TableWriter fills typed arrays, and every 2048 rows (DuckDB's vector
 * size) hands the filled columns as one ColumnBatch to a BatchSink. The sink appends the batch to DuckDB
 * (duckdb-sink.ts) and gives the batch back for reuse, so a long load allocates a handful of batches, not one per 2048
 * rows. BIGINT columns are filled through a 32-bit view (low and high word), so no BigInt is ever
 * created; NULLs are one byte per row and become DuckDB's validity mask on append.
 */

export type ColumnType = 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'BOOLEAN';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** The column may hold NULL (written as `null`, or NaN for numbers). */
  nullable?: boolean;
}

export const VECTOR_SIZE = 2048;

/** One column's values: numbers in typed arrays (BIGINT as int64 words), strings as an array. */
export type ColumnData = Int32Array | Float64Array | Uint32Array | Uint8Array | (string | null)[];

/** Up to VECTOR_SIZE rows of one table, column by column. */
export interface ColumnBatch {
  rows: number;
  columns: ColumnData[];
  /** Per nullable column, 1 = NULL; null for NOT NULL columns. */
  nulls: (Uint8Array | null)[];
}

/** Where full batches go. `recycle` offers a spent batch of the table back (or undefined). */
export interface BatchSink {
  append(table: string, batch: ColumnBatch): void;
  recycle(table: string): ColumnBatch | undefined;
}

export function newBatch(columns: readonly ColumnSpec[]): ColumnBatch {
  return {
    rows: 0,
    columns: columns.map((c): ColumnData => {
      switch (c.type) {
        case 'INTEGER':
          return new Int32Array(VECTOR_SIZE);
        case 'DOUBLE':
          return new Float64Array(VECTOR_SIZE);
        case 'BIGINT':
          return new Uint32Array(2 * VECTOR_SIZE);
        case 'BOOLEAN':
          return new Uint8Array(VECTOR_SIZE);
        case 'VARCHAR':
          return new Array<string | null>(VECTOR_SIZE).fill(null);
      }
    }),
    nulls: columns.map((c) => (c.nullable ? new Uint8Array(VECTOR_SIZE) : null)),
  };
}

export class TableWriter {
  private batch: ColumnBatch;
  private n = 0;
  /** Rows written so far. */
  rows = 0;

  constructor(
    readonly table: string,
    readonly columns: readonly ColumnSpec[],
    private readonly sink: BatchSink,
  ) {
    this.batch = newBatch(columns);
  }

  /**
   * Append one row; values in column order: numbers (NaN = NULL for nullable numeric columns), strings
   * or null. Integers must be exact (below 2^53).
   */
  add(...values: (number | string | null | boolean)[]): void {
    const i = this.n;
    for (let c = 0; c < values.length; c++) this.set(c, i, values[c]!);
    this.next();
  }

  /** Set column `c` of row `i`. */
  set(c: number, i: number, v: number | string | null | boolean): void {
    const data = this.batch.columns[c]!;
    const nulls = this.batch.nulls[c];
    const isNull = v === null || (typeof v === 'number' && Number.isNaN(v));
    if (nulls) nulls[i] = isNull ? 1 : 0;
    else if (isNull) throw new Error(`${this.table}.${this.columns[c]!.name}: NULL in a NOT NULL column`);
    const type = this.columns[c]!.type;
    if (type === 'VARCHAR') (data as (string | null)[])[i] = isNull ? null : String(v);
    else if (type === 'BIGINT') put64(data as Uint32Array, i, isNull ? 0 : (v as number));
    else if (type === 'BOOLEAN') (data as Uint8Array)[i] = v ? 1 : 0;
    else (data as Int32Array | Float64Array)[i] = isNull ? 0 : (v as number);
  }

  /** The row the direct column views below write to. */
  get current(): number {
    return this.n;
  }

  // Direct column access for hot loaders: write row `current` of each column, then call next(). The
  // views change after every flush, so fetch them again when `current` is back at 0.
  i32(c: number): Int32Array {
    this.expect(c, 'INTEGER');
    return this.batch.columns[c] as Int32Array;
  }

  /** A BIGINT column as 32-bit words (use put64). */
  i64(c: number): Uint32Array {
    this.expect(c, 'BIGINT');
    return this.batch.columns[c] as Uint32Array;
  }

  /** The NULL flags of a nullable column (1 = NULL). */
  nullFlags(c: number): Uint8Array {
    const n = this.batch.nulls[c];
    if (!n) throw new Error(`${this.table}.${this.columns[c]!.name} is not nullable`);
    return n;
  }

  private expect(c: number, type: ColumnType): void {
    if (this.columns[c]!.type !== type) throw new Error(`${this.table}.${this.columns[c]!.name} is not ${type}`);
  }

  /** Finish the current row. Returns true when that flushed the batch (the column views changed). */
  next(): boolean {
    if (++this.n < VECTOR_SIZE) return false;
    this.flush();
    return true;
  }

  /** Hand the buffered rows to the sink and continue in a fresh (or recycled) batch. */
  flush(): void {
    if (this.n === 0) return;
    this.batch.rows = this.n;
    this.sink.append(this.table, this.batch);
    this.rows += this.n;
    this.n = 0;
    this.batch = this.sink.recycle(this.table) ?? newBatch(this.columns);
  }

  close(): void {
    this.flush();
  }
}

/**
 * Store an integer (|v| < 2^53) as a little-endian int64 at index i of a word view. ToUint32 (`>>> 0`)
 * is exactly the low word, negative values included, and storing the floored high word into a
 * Uint32Array wraps it to its two's complement, so -1 becomes 0xffffffff:ffffffff.
 */
export function put64(words: Uint32Array, i: number, v: number): void {
  words[2 * i] = v >>> 0;
  words[2 * i + 1] = Math.floor(v / 4294967296);
}
