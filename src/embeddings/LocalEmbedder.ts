// Embeddings computed in-process by transformers.js from model files in a local directory.
// The package is optional: it is imported on first use, so the default install never needs it,
// and remote model downloads are switched off — nothing leaves the machine.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDimensions, EmbedderUnavailableError, normalize, type Embedder } from './Embedder.js';

export const TRANSFORMERS_PACKAGE = '@huggingface/transformers';

interface Tensor {
  dims: number[];
  data: ArrayLike<number>;
}
type Extractor = (texts: string[], opts: { pooling: 'mean'; normalize: boolean }) => Promise<Tensor>;

/** The part of the transformers.js module we use. */
export interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline: (task: 'feature-extraction', model: string) => Promise<Extractor>;
}

export interface LocalEmbedderOptions {
  model: string;
  modelDir: string;
  /** Replaceable for tests; defaults to a dynamic import of the optional package. */
  load?: () => Promise<TransformersModule>;
}

async function importTransformers(): Promise<TransformersModule> {
  // A computed specifier keeps bundlers from trying to resolve the optional package at build time.
  const specifier: string = TRANSFORMERS_PACKAGE;
  return (await import(specifier)) as TransformersModule;
}

/** Where `npm install` must run for the worker to find the package: claude-mem's own root. */
function installRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function isMissingPackage(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes(TRANSFORMERS_PACKAGE);
}

export class LocalEmbedder implements Embedder {
  readonly model: string;
  private dim: number | null = null;
  private extractor: Promise<Extractor> | null = null;

  constructor(private readonly o: LocalEmbedderOptions) {
    if (!o.modelDir.trim()) {
      throw new EmbedderUnavailableError(
        'CLAUDE_MEM_EMBEDDINGS_MODEL_DIR is empty: set it to the directory holding the model folders (CLAUDE_MEM_EMBEDDINGS=local never downloads models).',
      );
    }
    if (!o.model.trim()) {
      throw new EmbedderUnavailableError('CLAUDE_MEM_EMBEDDINGS_MODEL is empty: name the model folder, e.g. Xenova/all-MiniLM-L6-v2.');
    }
    this.model = o.model.trim();
  }

  get dimension(): number | null {
    return this.dim;
  }

  private async load(): Promise<Extractor> {
    let mod: TransformersModule;
    try {
      mod = await (this.o.load ?? importTransformers)();
    } catch (err) {
      if (isMissingPackage(err)) {
        throw new EmbedderUnavailableError(
          `CLAUDE_MEM_EMBEDDINGS=local needs the optional package ${TRANSFORMERS_PACKAGE}, which is not installed. ` +
            `Run \`npm install ${TRANSFORMERS_PACKAGE}\` in ${installRoot()}, put the model files in ` +
            `${path.join(this.o.modelDir, this.model)} (config.json, tokenizer.json, onnx/model.onnx), then restart the worker.`,
        );
      }
      throw err;
    }
    const folder = path.join(this.o.modelDir, this.model);
    if (!fs.existsSync(folder)) {
      throw new EmbedderUnavailableError(
        `No model files at ${folder}: put the transformers.js model there (config.json, tokenizer.json, onnx/model.onnx) ` +
          'or change CLAUDE_MEM_EMBEDDINGS_MODEL / CLAUDE_MEM_EMBEDDINGS_MODEL_DIR.',
      );
    }
    mod.env.allowRemoteModels = false;
    mod.env.allowLocalModels = true;
    mod.env.localModelPath = this.o.modelDir;
    return mod.pipeline('feature-extraction', this.model);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    // Loaded once; a failed load is retried on the next call (the user may have fixed it).
    this.extractor ??= this.load().catch((err) => {
      this.extractor = null;
      throw err;
    });
    const extract = await this.extractor;
    const out = await extract(texts, { pooling: 'mean', normalize: true });
    const [rows, dim] = out.dims;
    if (rows !== texts.length || !dim) {
      throw new Error(`local model ${this.model} returned a tensor of shape [${out.dims.join(', ')}] for ${texts.length} texts`);
    }
    const vectors = Array.from({ length: rows }, (_, i) =>
      normalize(Float32Array.from({ length: dim }, (_, j) => out.data[i * dim + j])),
    );
    this.dim = checkDimensions(vectors, this.dim, `local model ${this.model}`);
    return vectors;
  }
}
