// What the worker remembers about transcripts: per file, the byte offset up to which every event
// has been handed to capture; per session, the prompt ids already stored (so a prompt that arrived
// by hook is not stored again from the transcript). A small JSON file in the data dir, written
// atomically; one writer (the worker, or a backfill run while it is stopped).
import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from '../config/paths.js';
import { writeFileAtomic } from '../lib/fsutil.js';

export interface TranscriptRecord {
  sessionId: string;
  offset: number;
  /** Lines that were not JSON, over all reads. */
  malformed: number;
  /** Privacy of the turn the offset is in (see TranscriptParser). */
  privateTurn?: boolean;
  updatedAt: number;
}

interface StateFile {
  version: 1;
  /** Transcripts written after this (epoch ms) are caught up at SessionStart even if never seen. */
  captureSince: number;
  transcripts: Record<string, TranscriptRecord>;
  prompts: Record<string, { keys: string[]; updatedAt: number }>;
}

/** Prompt ids are kept per session for this long after its last prompt. */
const PROMPT_KEYS_TTL_MS = 90 * 24 * 3600_000;

export const transcriptStatePath = (): string => path.join(dataDir(), 'transcripts.json');

export class TranscriptState {
  private data: StateFile;

  constructor(private readonly file = transcriptStatePath()) {
    this.data = TranscriptState.load(file);
  }

  private static load(file: string): StateFile {
    try {
      const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StateFile>;
      if (raw && raw.version === 1 && raw.transcripts && raw.prompts) return { ...raw, captureSince: raw.captureSince ?? Date.now() } as StateFile;
    } catch {
      /* missing or unreadable: start over (reads are idempotent, nothing is stored twice) */
    }
    return { version: 1, captureSince: Date.now(), transcripts: {}, prompts: {} };
  }

  captureSince(): number {
    return this.data.captureSince;
  }

  /** `claude-mem install`: capture begins now unless it already began earlier. */
  markCaptureStart(at = Date.now()): void {
    if (fs.existsSync(this.file) && this.data.captureSince <= at) return;
    this.data.captureSince = at;
    this.save();
  }

  get(file: string): TranscriptRecord | undefined {
    return this.data.transcripts[file];
  }

  all(): Record<string, TranscriptRecord> {
    return this.data.transcripts;
  }

  /** Starts tracking a transcript (offset 0) if it is not yet known. */
  track(file: string, sessionId: string): void {
    if (this.data.transcripts[file]) return;
    this.data.transcripts[file] = { sessionId, offset: 0, malformed: 0, updatedAt: Date.now() };
    this.save();
  }

  advance(file: string, sessionId: string, offset: number, malformed: number, privateTurn = false): void {
    const prev = this.data.transcripts[file];
    this.data.transcripts[file] = { sessionId, offset, malformed: (prev?.malformed ?? 0) + malformed, privateTurn, updatedAt: Date.now() };
    this.save();
  }

  hasPrompt(sessionId: string, key: string): boolean {
    return this.data.prompts[sessionId]?.keys.includes(key) ?? false;
  }

  addPrompt(sessionId: string, key: string): void {
    const entry = (this.data.prompts[sessionId] ??= { keys: [], updatedAt: 0 });
    if (!entry.keys.includes(key)) entry.keys.push(key);
    entry.updatedAt = Date.now();
    const cutoff = Date.now() - PROMPT_KEYS_TTL_MS;
    for (const [id, e] of Object.entries(this.data.prompts)) if (e.updatedAt < cutoff) delete this.data.prompts[id];
    this.save();
  }

  private save(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileAtomic(this.file, JSON.stringify(this.data), 0o600);
    } catch {
      /* read-only data dir: offsets are an optimisation, capture stays idempotent without them */
    }
  }
}
