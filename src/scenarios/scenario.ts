/** What a built-in scenario provides. */
import type { z } from 'zod';
import type { FlavourName } from '../l4/flavour.js';
import type { Kernel, StopReason } from '../l4/kernel.js';
import type { ModelProgram } from '../l4/model-engine.js';
import type { CommonSpec, ScenarioSpec } from './spec.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';

export interface ScenarioContext {
  readonly k: Kernel;
  readonly spec: ScenarioSpec;
  /** Load model code: returns the address threads start at to run it. */
  program(p: ModelProgram): number;
  /** The root file system the run was given (--rootfs or the built-in one), or null: only /bin's guests. */
  readonly rootfs: RootFsImage | null;
}

export interface ScenarioBuild {
  /** The root task's program. */
  root: ModelProgram;
  /** Runs after the machine stopped (compute metrics). */
  finish?(k: Kernel, stop: StopReason): void;
}

export interface ScenarioDef<P = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly params: z.ZodType<P>;
  /** Defaults for common fields (e.g. a deadline) when the file does not set them. */
  readonly defaults?: Partial<CommonSpec>;
  /** Guest programs (by name) the scenario runs; they are embedded in the trace header. */
  images?(params: P): string[];
  /**
   * Other flavours to run the scenario under as well (untraced), reporting their metrics too. Known
   * before the run, so their cost profiles go into the trace header with the recorded flavour's.
   */
  compares?(params: P): FlavourName[];
  /** A problem with the spec as a whole (fields that do not go together), found before anything runs; null when none. */
  check?(spec: CommonSpec, params: P): string | null;
  build(ctx: ScenarioContext, params: P): ScenarioBuild;
}
