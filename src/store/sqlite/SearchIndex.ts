// Keyword search (FTS5 + bm25) over observations, summaries and prompts, with filters, and
// optional fusion with a vector ranking (reciprocal rank fusion).
import type { Observation, PromptRow, SearchQuery, SearchResults, Summary } from '../../api/types.js';
import type { Db } from './Database.js';
import { SqliteTermCounter } from './SqliteTermCounter.js';
import type { SearchOptions } from '../Store.js';
import { CommonTermPruner, recentWindow, SCORE_BUDGET, type TermPlan } from '../termPruning.js';
import { matchTerms, queryPhrases, queryTerms, TermMatcher } from '../queryText.js';
import {
  CONTEXT_POOL,
  contextRerank,
  coordinated,
  fusionPool,
  NEIGHBOUR_SPAN,
  reciprocalRankFusion,
  VECTOR_WEIGHT,
  type ScoredId,
} from '../rankFusion.js';
import { toObservation, toPrompt, toSummary } from '../rows.js';
import { currentFirst } from '../forgetTypes.js';

// observations_fts is ranked with FTS5's plain bm25() (equal column weights): bm25's per-column
// length normalisation already lifts a hit in a short title above one in a long narrative, and
// title/fact boosts (8,3,1,4,2) measured lower on the LoCoMo eval (R@5 0.510 vs 0.549, MRR 0.427
// vs 0.468; see scripts/eval-search.mjs). Explicit weights would also cost ~1 µs per match.
const SUMMARY_WEIGHTS = '4.0, 1.0, 2.0, 2.0, 1.0, 1.0';

/** The words of a query (which to weigh hits by, which to match) and the paths/identifiers it names. */
interface KeywordQuery extends TermPlan {
  phrases: string[][];
}

/** Ranks observation ids by vector similarity; supplied when an embedder is configured. */
export type VectorRanker = (query: string, projects: string[] | undefined, k: number) => Promise<number[]>;

interface Where {
  sql: string;
  params: unknown[];
}

function projectsOf(q: SearchQuery): string[] | undefined {
  if (!q.project) return undefined;
  const list = Array.isArray(q.project) ? q.project : [q.project];
  return list.length ? list : undefined;
}

function observationFilters(q: SearchQuery, alias: string): Where {
  const parts: string[] = [];
  const params: unknown[] = [];
  const projects = projectsOf(q);
  if (projects) {
    parts.push(`${alias}.project IN (${projects.map(() => '?').join(',')})`);
    params.push(...projects);
  }
  if (q.type?.length) {
    parts.push(`${alias}.type IN (${q.type.map(() => '?').join(',')})`);
    params.push(...q.type);
  }
  for (const c of q.concepts ?? []) {
    parts.push(`instr(${alias}.concepts, ?) > 0`);
    params.push(JSON.stringify(c));
  }
  if (q.files?.length) {
    // A file filter matches on a path suffix or fragment, in either list.
    const ors = q.files.map(() => `(instr(${alias}.files_read, ?) > 0 OR instr(${alias}.files_modified, ?) > 0)`);
    parts.push(`(${ors.join(' OR ')})`);
    for (const f of q.files) params.push(f, f);
  }
  if (q.dateStart != null) {
    parts.push(`${alias}.created_at_epoch >= ?`);
    params.push(q.dateStart);
  }
  if (q.dateEnd != null) {
    parts.push(`${alias}.created_at_epoch <= ?`);
    params.push(q.dateEnd);
  }
  return { sql: parts.length ? ' AND ' + parts.join(' AND ') : '', params };
}

function simpleFilters(q: SearchQuery, projectCol: string, timeCol: string): Where {
  const parts: string[] = [];
  const params: unknown[] = [];
  const projects = projectsOf(q);
  if (projects) {
    parts.push(`${projectCol} IN (${projects.map(() => '?').join(',')})`);
    params.push(...projects);
  }
  if (q.dateStart != null) {
    parts.push(`${timeCol} >= ?`);
    params.push(q.dateStart);
  }
  if (q.dateEnd != null) {
    parts.push(`${timeCol} <= ?`);
    params.push(q.dateEnd);
  }
  return { sql: parts.length ? ' AND ' + parts.join(' AND ') : '', params };
}

function orderClause(q: SearchQuery, timeCol: string, hasMatch: boolean): string {
  if (q.orderBy === 'date_asc') return `${timeCol} ASC`;
  if (q.orderBy === 'date_desc' || !hasMatch) return `${timeCol} DESC`;
  return 'score ASC';
}

export class SearchIndex {
  private readonly pruner: CommonTermPruner;

  private vectorRanker: VectorRanker | null = null;
  private readonly rankLimit: number;
  private readonly vectorWeight: number;

  constructor(
    readonly db: Db,
    opts: SearchOptions = {},
  ) {
    this.rankLimit = opts.rankLimit ?? SCORE_BUDGET;
    this.vectorWeight = opts.vectorWeight ?? VECTOR_WEIGHT;
    this.pruner = new CommonTermPruner(new SqliteTermCounter(db, this.rankLimit));
  }

  setVectorRanker(ranker: VectorRanker | null): void {
    this.vectorRanker = ranker;
  }

  get hybrid(): boolean {
    return this.vectorRanker !== null;
  }

  async search(q: SearchQuery): Promise<SearchResults> {
    const kinds = q.kinds ?? ['observations', 'sessions', 'prompts'];
    const limit = Math.max(1, Math.min(q.limit ?? 20, 500));
    const offset = Math.max(0, q.offset ?? 0);
    const terms = queryTerms(q.query ?? '');
    const phrases = queryPhrases(q.query ?? '');
    const match = matchTerms(terms);
    return {
      observations: kinds.includes('observations')
        ? currentFirst(await this.searchObservations(q, { ...(await this.pruner.plan(terms, this.rankLimit)), phrases }, limit, offset), q.orderBy)
        : [],
      sessions: kinds.includes('sessions') ? this.searchSummaries(q, match, limit, offset) : [],
      prompts: kinds.includes('prompts') ? this.searchPrompts(q, match, limit, offset) : [],
    };
  }

  private keywordObservations(q: SearchQuery, words: KeywordQuery, limit: number, offset: number): Observation[] {
    const f = observationFilters(q, 'o');
    // The rank limit bounds ranking; a date order ranks nothing and keeps every (unpruned) word.
    const match = matchTerms(words.terms);
    if (match === null) {
      const rows = this.db
        .prepare(
          `SELECT o.* FROM observations o WHERE 1=1${f.sql} ORDER BY ${orderClause(q, 'o.created_at_epoch', false)}, o.id DESC
           LIMIT ? OFFSET ?`,
        )
        .all(...f.params, limit, offset) as Record<string, unknown>[];
      return rows.map(toObservation);
    }
    if (!q.orderBy || q.orderBy === 'relevance') return this.rankedObservations(q, words, matchTerms(words.match)!, limit, offset);
    const rows = this.db
      .prepare(
        `SELECT o.* FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
         WHERE observations_fts MATCH ?${f.sql}
         ORDER BY ${orderClause(q, 'o.created_at_epoch', true)}, o.id DESC LIMIT ? OFFSET ?`,
      )
      .all(match, ...f.params, limit, offset) as Record<string, unknown>[];
    return rows.map(toObservation);
  }

  /**
   * Relevance order: the best keyword hits that pass the filters (a pool of at least CONTEXT_POOL),
   * each weighed by the share of query terms it contains (rankFusion.coordinated), re-ranked with
   * their session neighbours (rankFusion.contextRerank), then paged.
   */
  private rankedObservations(q: SearchQuery, words: KeywordQuery, match: string, limit: number, offset: number): Observation[] {
    const f = observationFilters(q, 'o');
    const want = Math.max(CONTEXT_POOL, offset + limit);
    const filtered = f.sql !== '';
    // Filters need the row; without them FTS5 alone answers (no lookup per match). Project, type
    // and date filters are answered from the narrow filter index (the planner would read the table).
    const narrow = !q.concepts?.length && !q.files?.length ? ' INDEXED BY observations_search_filter' : '';
    const from = filtered
      ? `observations_fts JOIN observations o${narrow} ON o.id = observations_fts.rowid WHERE observations_fts MATCH ?${f.sql}`
      : `observations_fts WHERE observations_fts MATCH ?`;
    const select = `SELECT observations_fts.rowid AS id, -bm25(observations_fts) AS score FROM ${from}`;
    type PoolRow = { id: number; score: number };
    // Every match is ranked (the rank limit bounds how many), or, when every term is common, the
    // newest matches (termPruning.SCORE_BUDGET).
    const pool = words.recentOnly
      ? (this.db.prepare(`${select} ORDER BY observations_fts.rowid DESC LIMIT ?`).all(match, ...f.params, Math.max(recentWindow(this.rankLimit), want)) as PoolRow[])
          .sort((a, b) => b.score - a.score || b.id - a.id)
          .slice(0, want)
      : (this.db.prepare(`${select} ORDER BY score DESC, id DESC LIMIT ?`).all(match, ...f.params, want) as PoolRow[]);
    if (pool.length === 0) return [];

    // For each pooled hit, in one statement: its indexed text (so that JS can tell which query terms
    // and phrases it contains; selected here, not with the matches, where it would be built for
    // every match) and its neighbours among the records its session holds that pass the filters.
    const zf = observationFilters(q, 'z');
    const side = (op: '<' | '>', dir: 'ASC' | 'DESC') =>
      `(SELECT json_group_array(id) FROM (SELECT z.id FROM observations z WHERE z.content_session_id = a.content_session_id
         AND (z.created_at_epoch, z.id) ${op} (a.created_at_epoch, a.id)${zf.sql}
         ORDER BY z.created_at_epoch ${dir}, z.id ${dir} LIMIT ${NEIGHBOUR_SPAN}))`;
    const details = this.db
      .prepare(
        `SELECT a.id, a.title || ' ' || a.subtitle || ' ' || a.narrative || ' ' || a.facts || ' ' || a.concepts || ' ' ||
           COALESCE(a.search_terms, '') || ' ' || a.files_read || ' ' || a.files_modified AS text,
           ${side('<', 'DESC')} AS before, ${side('>', 'ASC')} AS after
         FROM observations a WHERE a.id IN (SELECT value FROM json_each(?))`,
      )
      .all(...zf.params, ...zf.params, JSON.stringify(pool.map((r) => r.id))) as Array<{
      id: number;
      text: string;
      before: string;
      after: string;
    }>;
    const texts = new Map<number, string>();
    const neighbours = new Map<number, number[]>();
    for (const d of details) {
      texts.set(d.id, d.text);
      neighbours.set(d.id, [...(JSON.parse(d.before) as number[]), ...(JSON.parse(d.after) as number[])]);
    }
    const { terms, phrases } = words;
    const matcher = new TermMatcher(terms, phrases);
    const scored: ScoredId[] = pool.map((r) => {
      const found = matcher.match(texts.get(r.id) ?? '');
      // FTS5 matched at least one term in every hit, whatever the JS tokenizer makes of its text.
      return { id: r.id, score: coordinated(r.score, Math.max(1, found.terms), terms.length, found.phrases, phrases.length) };
    });
    const ranked = contextRerank(scored, neighbours);
    const page = ranked.slice(offset, offset + limit);
    if (page.length === 0) return [];
    // json_each keeps one statement text (and one cached statement) for any page size.
    const rows = this.db
      .prepare(`SELECT o.* FROM observations o WHERE o.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(page)) as Record<string, unknown>[];
    const byId = new Map(rows.map((r) => [Number(r.id), toObservation(r)]));
    return page.map((id) => byId.get(id)).filter((o): o is Observation => o !== undefined);
  }

  private async searchObservations(
    q: SearchQuery,
    words: KeywordQuery,
    limit: number,
    offset: number,
  ): Promise<Observation[]> {
    const relevance = !q.orderBy || q.orderBy === 'relevance';
    if (!this.vectorRanker || words.terms.length === 0 || !relevance) return this.keywordObservations(q, words, limit, offset);
    // Hybrid: fuse the two rankings over a deeper candidate pool, then page.
    const pool = fusionPool(offset, limit);
    const keyword = this.keywordObservations(q, words, pool, 0).map((o) => o.id);
    const vector = await this.vectorRanker(q.query, projectsOf(q), pool);
    // Vector candidates still have to pass the filters.
    const f = observationFilters(q, 'o');
    const candidates = reciprocalRankFusion([keyword, vector], [1, this.vectorWeight]).slice(0, pool);
    if (candidates.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT o.* FROM observations o WHERE o.id IN (${candidates.map(() => '?').join(',')})${f.sql}`)
      .all(...candidates, ...f.params) as Record<string, unknown>[];
    const byId = new Map(rows.map((r) => [Number(r.id), toObservation(r)]));
    return candidates
      .map((id) => byId.get(id))
      .filter((o): o is Observation => o !== undefined)
      .slice(offset, offset + limit);
  }

  private searchSummaries(q: SearchQuery, match: string | null, limit: number, offset: number): Summary[] {
    if (q.type?.length || q.concepts?.length || q.files?.length) return [];
    const f = simpleFilters(q, 's.project', 's.created_at_epoch');
    const sql =
      match === null
        ? `SELECT s.* FROM summaries s WHERE 1=1${f.sql} ORDER BY ${orderClause(q, 's.created_at_epoch', false)} LIMIT ? OFFSET ?`
        : `SELECT s.*, bm25(summaries_fts, ${SUMMARY_WEIGHTS}) AS score FROM summaries_fts
           JOIN summaries s ON s.id = summaries_fts.rowid WHERE summaries_fts MATCH ?${f.sql}
           ORDER BY ${orderClause(q, 's.created_at_epoch', true)} LIMIT ? OFFSET ?`;
    const params = match === null ? [...f.params, limit, offset] : [match, ...f.params, limit, offset];
    return (this.db.prepare(sql).all(...params) as Record<string, unknown>[]).map(toSummary);
  }

  private searchPrompts(q: SearchQuery, match: string | null, limit: number, offset: number): PromptRow[] {
    if (q.type?.length || q.concepts?.length || q.files?.length) return [];
    const f = simpleFilters(q, 's.project', 'p.created_at_epoch');
    const base = `FROM user_prompts p JOIN sessions s ON s.id = p.session_id`;
    const sql =
      match === null
        ? `SELECT p.*, s.content_session_id, s.project ${base} WHERE 1=1${f.sql}
           ORDER BY ${orderClause(q, 'p.created_at_epoch', false)} LIMIT ? OFFSET ?`
        : `SELECT p.*, s.content_session_id, s.project, bm25(prompts_fts) AS score FROM prompts_fts
           JOIN user_prompts p ON p.id = prompts_fts.rowid JOIN sessions s ON s.id = p.session_id
           WHERE prompts_fts MATCH ?${f.sql} ORDER BY ${orderClause(q, 'p.created_at_epoch', true)} LIMIT ? OFFSET ?`;
    const params = match === null ? [...f.params, limit, offset] : [match, ...f.params, limit, offset];
    return (this.db.prepare(sql).all(...params) as Record<string, unknown>[]).map(toPrompt);
  }
}
