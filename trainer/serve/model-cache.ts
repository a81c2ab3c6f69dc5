// The few checkpoints the trainer's server keeps loaded (least recently used dropped first),
// so an admin paging through comparisons or trying prompts does not reload weights per
// request. A checkpoint in use by a request is never disposed under it: one dropped while
// in use is disposed when its last user finishes.
import { disposeParams, loadCheckpoint, type Checkpoint } from "../checkpoint/hf-gpt2";

type Entry = { ckpt: Checkpoint; users: number; dropped: boolean };

export class ModelCache {
  private readonly entries = new Map<string, Entry>(); // insertion order = least recently used first

  constructor(
    private readonly keep: number,
    /** loads the checkpoint at an absolute folder; may throw to refuse it */
    private readonly load: (dir: string) => Checkpoint = loadCheckpoint,
  ) {}

  /** Called when the set of loaded folders changes (one loaded, and so perhaps one dropped). */
  onChange?: () => void;

  /** Whether `dir` is loaded now. */
  has(dir: string): boolean {
    return this.entries.has(dir);
  }

  /** Runs fn with the checkpoint in `dir` loaded, loading it (with `load`, else the cache's loader; dropping the oldest) if needed. */
  async use<T>(dir: string, fn: (ckpt: Checkpoint) => Promise<T>, load: (dir: string) => Checkpoint = this.load): Promise<T> {
    let entry = this.entries.get(dir);
    const loading = !entry;
    if (entry) this.entries.delete(dir); // re-inserted below: most recently used last
    else entry = { ckpt: load(dir), users: 0, dropped: false };
    this.entries.set(dir, entry);
    entry.users++;
    this.trim();
    if (loading) this.onChange?.();
    try {
      return await fn(entry.ckpt);
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) disposeParams(entry.ckpt.params);
    }
  }

  /** Folders loaded now, least recently used first (reported in the heartbeat: worker-registry.ts). */
  loaded(): string[] {
    return [...this.entries.keys()];
  }

  private trim(): void {
    while (this.entries.size > this.keep) {
      const [dir, oldest] = this.entries.entries().next().value!;
      this.entries.delete(dir);
      oldest.dropped = true;
      if (oldest.users === 0) disposeParams(oldest.ckpt.params);
    }
  }
}
