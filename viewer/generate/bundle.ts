/**
 * The page script: the browser app (viewer/app/) bundled by esbuild into one IIFE. `npm run build`
 * writes it beside the compiled generator (dist/viewer/app.bundle.js); run from the TypeScript sources
 * (tests), it is bundled on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export const BUNDLE_OPTIONS = {
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['chrome110', 'firefox115', 'safari16'],
  legalComments: 'none',
  charset: 'utf8',
} as const;

export async function viewerScript(): Promise<string> {
  if (cached) return cached;
  const prebuilt = new URL('../app.bundle.js', import.meta.url);
  if (existsSync(fileURLToPath(prebuilt))) return (cached = readFileSync(prebuilt, 'utf8'));
  const entry = fileURLToPath(new URL('../app/main.ts', import.meta.url));
  if (!existsSync(entry)) throw new Error(`the viewer bundle is missing (${fileURLToPath(prebuilt)}); run npm run build`);
  const esbuild = await import('esbuild');
  const r = await esbuild.build({ entryPoints: [entry], write: false, ...BUNDLE_OPTIONS, target: [...BUNDLE_OPTIONS.target] });
  return (cached = r.outputFiles[0]!.text);
}
