/**
 * The DuckDB end of loading: creates the tables, keeps one appender per table, and turns each
 * ColumnBatch into a data chunk (one memcpy per numeric column, a validity mask where a column has
 * NULLs). No SQL INSERT and no per-value native call for numbers.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { createTablesSql, TABLES } from './schema.js';
import { VECTOR_SIZE, type BatchSink, type ColumnBatch, type ColumnType } from './table-writer.js';

const TYPE_IDS: Record<ColumnType, number> = {
  INTEGER: duckdb.Type.INTEGER,
  BIGINT: duckdb.Type.BIGINT,
  DOUBLE: duckdb.Type.DOUBLE,
  VARCHAR: duckdb.Type.VARCHAR,
  BOOLEAN: duckdb.Type.BOOLEAN,
};

interface TableTarget {
  appender: DuckDBAppender;
  types: duckdb.LogicalType[];
  spare: ColumnBatch[];
}

export class DuckDBSink implements BatchSink {
  private readonly mask = new Uint8Array(VECTOR_SIZE / 8);
  /** Rows appended, over all tables. */
  rows = 0;

  private constructor(private readonly targets: Map<string, TableTarget>) {}

  /** Create every table of the schema and an appender for each. */
  static async open(con: DuckDBConnection): Promise<DuckDBSink> {
    await con.run(createTablesSql());
    const targets = new Map<string, TableTarget>();
    for (const [table, cols] of Object.entries(TABLES)) {
      targets.set(table, { appender: await con.createAppender(table), types: cols.map((c) => duckdb.create_logical_type(TYPE_IDS[c.type])), spare: [] });
    }
    return new DuckDBSink(targets);
  }

  /** Append a batch; DuckDB copies it, so it is kept for reuse at once. */
  append(table: string, batch: ColumnBatch): void {
    const t = this.target(table);
    const n = batch.rows;
    const chunk = duckdb.create_data_chunk(t.types);
    duckdb.data_chunk_set_size(chunk, n);
    for (let c = 0; c < batch.columns.length; c++) {
      const data = batch.columns[c]!;
      const vector = duckdb.data_chunk_get_vector(chunk, c);
      if (Array.isArray(data)) {
        for (let i = 0; i < n; i++) {
          const s = data[i];
          if (s !== null && s !== undefined) duckdb.vector_assign_string_element(vector, i, s);
        }
      } else {
        // BIGINT columns are word views twice as long as the row count: copy by row bytes.
        const rowBytes = data.byteLength / VECTOR_SIZE;
        duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, data.byteOffset, n * rowBytes);
      }
      const nulls = batch.nulls[c];
      if (nulls && nulls.subarray(0, n).includes(1)) this.writeValidity(vector, nulls, n);
    }
    t.appender.appendDataChunk(new DuckDBDataChunk(chunk));
    t.spare.push(batch);
    this.rows += n;
  }

  recycle(table: string): ColumnBatch | undefined {
    return this.target(table).spare.pop();
  }

  /** Flush and close every appender. */
  close(): void {
    for (const t of this.targets.values()) t.appender.closeSync();
  }

  private target(table: string): TableTarget {
    const t = this.targets.get(table);
    if (!t) throw new Error(`no table ${table} in the schema`);
    return t;
  }

  /** DuckDB's validity mask: one bit per row, set = valid, in 64-bit words. */
  private writeValidity(vector: duckdb.Vector, nulls: Uint8Array, n: number): void {
    duckdb.vector_ensure_validity_writable(vector);
    const mask = this.mask.fill(0);
    for (let i = 0; i < n; i++) if (!nulls[i]) mask[i >> 3]! |= 1 << (i & 7);
    duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, Math.ceil(n / 64) * 8);
  }
}
