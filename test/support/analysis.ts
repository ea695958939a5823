import { Analysis } from '../../analyze/db.js';

/** Open a trace or kept database, run `f` on it, and close it whatever happens. */
export async function withAnalysis<T>(path: string, f: (a: Analysis) => Promise<T>): Promise<T> {
  const a = await Analysis.open(path);
  try {
    return await f(a);
  } finally {
    a.close();
  }
}
