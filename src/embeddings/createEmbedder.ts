// Picks the embedder named by CLAUDE_MEM_EMBEDDINGS. `none` means keyword search only.
import type { Settings } from '../config/SettingsManager.js';
import { EmbedderUnavailableError, type Embedder } from './Embedder.js';
import { LocalEmbedder } from './LocalEmbedder.js';
import { OpenAIEmbedder } from './OpenAIEmbedder.js';
import { TestEmbedder } from './TestEmbedder.js';

export const EMBEDDING_MODES = ['none', 'openai', 'local', 'test'] as const;
export type EmbeddingMode = (typeof EMBEDDING_MODES)[number];

type EmbedderSettings = Pick<
  Settings,
  'CLAUDE_MEM_EMBEDDINGS' | 'CLAUDE_MEM_EMBEDDINGS_BASE_URL' | 'CLAUDE_MEM_EMBEDDINGS_MODEL' | 'CLAUDE_MEM_EMBEDDINGS_MODEL_DIR'
>;

export function embeddingMode(settings: Pick<Settings, 'CLAUDE_MEM_EMBEDDINGS'>): EmbeddingMode {
  const raw = (settings.CLAUDE_MEM_EMBEDDINGS ?? '').trim().toLowerCase();
  if (raw === '') return 'none';
  if ((EMBEDDING_MODES as readonly string[]).includes(raw)) return raw as EmbeddingMode;
  throw new EmbedderUnavailableError(
    `CLAUDE_MEM_EMBEDDINGS must be one of ${EMBEDDING_MODES.join(', ')}; got "${settings.CLAUDE_MEM_EMBEDDINGS}".`,
  );
}

/**
 * The configured embedder, or null for `none`. `env` is the isolated credential env
 * (buildIsolatedEnv): OPENAI_API_KEY from DATA_DIR/.env, never the shell's.
 */
export function createEmbedder(settings: EmbedderSettings, env: Record<string, string | undefined>): Embedder | null {
  switch (embeddingMode(settings)) {
    case 'none':
      return null;
    case 'openai':
      return new OpenAIEmbedder({
        baseUrl: settings.CLAUDE_MEM_EMBEDDINGS_BASE_URL,
        model: settings.CLAUDE_MEM_EMBEDDINGS_MODEL,
        apiKey: env.OPENAI_API_KEY || undefined,
      });
    case 'local':
      return new LocalEmbedder({ model: settings.CLAUDE_MEM_EMBEDDINGS_MODEL, modelDir: settings.CLAUDE_MEM_EMBEDDINGS_MODEL_DIR });
    case 'test':
      return new TestEmbedder();
  }
}
