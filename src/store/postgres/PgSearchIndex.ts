// Keyword search in PostgreSQL: tsvector columns (labelled per field) with GIN indexes.
// Observations rank by the idf-weighted sum of each term's ts_rank (BM25 in spirit, like the
// SQLite store's bm25), summaries and prompts by ts_rank_cd. User text never reaches tsquery
// syntax: it is reduced to plain word tokens (the same ones the SQLite store uses), each quoted,
// OR-ed together.
import type { Observation, PromptRow, SearchQuery, SearchResults, Summary } from '../../api/types.js';
import { queryPhrases, queryTerms } from '../queryText.js';
import { CommonTermPruner, idf, planTerms, recentWindow, SCORE_BUDGET } from '../termPruning.js';
import {
  CONTEXT_POOL,
  contextRerank,
  coordinated,
  fusionPool,
  NEIGHBOUR_SPAN,
  reciprocalRankFusion,
  VECTOR_WEIGHT,
} from '../rankFusion.js';
import { toObservation, toPrompt, toSummary } from '../rows.js';
import { currentFirst } from '../forgetTypes.js';
import type { SearchOptions, SearchRepository, VectorRanker } from '../Store.js';
import type { Pool } from './pgClient.js';
import { expandProjects, OBS_COLS, PROMPT_COLS, SUMMARY_COLS } from './pgRows.js';
import { PgTermCounter } from './PgTermCounter.js';

// Rank weights for {D, C, B, A} (narrative, subtitle/concepts, facts, title). Equal, like the
// SQLite bm25 column weights, where title/fact boosts measured worse on the LoCoMo eval.
const WEIGHTS = `'{1.0, 1.0, 1.0, 1.0}'`;

/** A tsquery text for the query, or null when it has no searchable word. */
export function buildTsQuery(text: string): string | null {
  return tsQueryOf(queryTerms(text));
}

/** Terms are letters/digits only (see queryTerms), so quoting each makes it a plain lexeme. */
function tsQueryOf(terms: string[]): string | null {
  return terms.length ? terms.map((t) => `'${t}'`).join(' | ') : null;
}

/** A path or identifier the query names (queryPhrases): its words in order. */
function phraseTsQuery(words: string[]): string {
  return words.map((w) => `'${w}'`).join(' <-> ');
}

/**
 * Query terms with their inverse document frequency (what hits are scored by), the terms the
 * index is queried with, and the phrases the query names (termPruning.planTerms).
 */
interface WeightedTerms {
  terms: Array<{ term: string; idf: number }>;
  match: string[];
  recentOnly: boolean;
  phrases: string[][];
}

/** Collects SQL parameters and hands out their `$n` placeholders. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function projectsOf(q: SearchQuery): string[] | undefined {
  if (!q.project) return undefined;
  const list = Array.isArray(q.project) ? q.project : [q.project];
  return list.length ? list : undefined;
}

function observationFilters(q: SearchQuery, projects: string[] | undefined, p: Params, alias = 'o'): string {
  const parts: string[] = [];
  if (projects) parts.push(`${alias}.project = ANY(${p.add(projects)}::text[])`);
  if (q.type?.length) parts.push(`${alias}.type = ANY(${p.add(q.type)}::text[])`);
  for (const c of q.concepts ?? []) parts.push(`strpos(${alias}.concepts, ${p.add(JSON.stringify(c))}) > 0`);
  if (q.files?.length) {
    const ors = q.files.map((f) => {
      const ph = p.add(f);
      return `(strpos(${alias}.files_read, ${ph}) > 0 OR strpos(${alias}.files_modified, ${ph}) > 0)`;
    });
    parts.push(`(${ors.join(' OR ')})`);
  }
  if (q.dateStart != null) parts.push(`${alias}.created_at_epoch >= ${p.add(q.dateStart)}`);
  if (q.dateEnd != null) parts.push(`${alias}.created_at_epoch <= ${p.add(q.dateEnd)}`);
  return parts.length ? ' AND ' + parts.join(' AND ') : '';
}

function simpleFilters(q: SearchQuery, projects: string[] | undefined, projectCol: string, timeCol: string, p: Params): string {
  const parts: string[] = [];
  if (projects) parts.push(`${projectCol} = ANY(${p.add(projects)}::text[])`);
  if (q.dateStart != null) parts.push(`${timeCol} >= ${p.add(q.dateStart)}`);
  if (q.dateEnd != null) parts.push(`${timeCol} <= ${p.add(q.dateEnd)}`);
  return parts.length ? ' AND ' + parts.join(' AND ') : '';
}

function orderClause(q: SearchQuery, timeCol: string, idCol: string, hasMatch: boolean): string {
  if (q.orderBy === 'date_asc') return `${timeCol} ASC, ${idCol} ASC`;
  if (q.orderBy === 'date_desc' || !hasMatch) return `${timeCol} DESC, ${idCol} DESC`;
  return `score DESC, ${idCol} DESC`;
}

const prefixed = (list: string, alias: string) =>
  list
    .split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');

type Rows = Record<string, unknown>[];

export class PgSearchIndex implements SearchRepository {
  private readonly pruner: CommonTermPruner;
  private vectorRanker: VectorRanker | null = null;
  private readonly rankLimit: number;
  private readonly vectorWeight: number;

  constructor(
    private readonly pool: Pool,
    opts: SearchOptions = {},
  ) {
    this.pruner = new CommonTermPruner(new PgTermCounter(pool));
    this.rankLimit = opts.rankLimit ?? SCORE_BUDGET;
    this.vectorWeight = opts.vectorWeight ?? VECTOR_WEIGHT;
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
    const tsq = tsQueryOf(terms);
    const projects = await expandProjects(this.pool, projectsOf(q));
    const [observations, sessions, prompts] = await Promise.all([
      kinds.includes('observations')
        ? this.weighTerms(terms, queryPhrases(q.query ?? ''))
            .then((w) => this.searchObservations(q, projects, w, limit, offset))
            .then((rows) => currentFirst(rows, q.orderBy))
        : [],
      kinds.includes('sessions') ? this.searchSummaries(q, projects, tsq, limit, offset) : [],
      kinds.includes('prompts') ? this.searchPrompts(q, projects, tsq, limit, offset) : [],
    ]);
    return { observations, sessions, prompts };
  }

  /**
   * The terms to search for observations, each with its idf (common terms pruned and the rows
   * ranked bounded in large stores, termPruning), and the query's phrases; null when there is no
   * word to match.
   */
  private async weighTerms(terms: string[], phrases: string[][]): Promise<WeightedTerms | null> {
    if (terms.length === 0) return null;
    const { total, dfs } = await this.pruner.stats(terms, this.rankLimit);
    const plan = planTerms(dfs, total, this.rankLimit);
    const kept = new Set(plan.terms);
    const weighted = dfs.filter((d) => kept.has(d.term)).map((d) => ({ term: d.term, idf: idf(d.df, total) }));
    return { terms: weighted, match: plan.match, recentOnly: plan.recentOnly, phrases };
  }

  private async keywordObservations(
    q: SearchQuery,
    projects: string[] | undefined,
    terms: WeightedTerms | null,
    limit: number,
    offset: number,
  ): Promise<Observation[]> {
    if (terms !== null && (!q.orderBy || q.orderBy === 'relevance')) {
      return this.rankedObservations(q, projects, terms, limit, offset);
    }
    // The rank limit bounds ranking; a date order ranks nothing and keeps every (unpruned) word.
    const tsq = terms && tsQueryOf(terms.terms.map((t) => t.term));
    const p = new Params();
    const cols = prefixed(OBS_COLS, 'o');
    let sql: string;
    if (tsq === null) {
      const f = observationFilters(q, projects, p);
      sql = `SELECT ${cols} FROM observations o WHERE TRUE${f} ORDER BY ${orderClause(q, 'o.created_at_epoch', 'o.id', false)}`;
    } else {
      const query = p.add(tsq);
      const f = observationFilters(q, projects, p);
      sql = `SELECT ${cols} FROM observations o, to_tsquery('english', ${query}) tq
             WHERE o.search @@ tq${f} ORDER BY ${orderClause(q, 'o.created_at_epoch', 'o.id', true)}`;
    }
    sql += ` LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
    return ((await this.pool.query(sql, p.values)).rows as Rows).map(toObservation);
  }

  /**
   * Relevance order, as in the SQLite store: the best keyword hits that pass the filters (a pool of
   * at least CONTEXT_POOL), each weighed by the share of query terms it contains
   * (rankFusion.coordinated), re-ranked with their session neighbours (rankFusion.contextRerank).
   */
  private async rankedObservations(
    q: SearchQuery,
    projects: string[] | undefined,
    weighted: WeightedTerms,
    limit: number,
    offset: number,
  ): Promise<Observation[]> {
    const { terms, phrases } = weighted;
    const want = Math.max(CONTEXT_POOL, offset + limit);
    const p = new Params();
    const query = p.add(tsQueryOf(weighted.match));
    // BM25 in spirit: each term's ts_rank (its frequency, saturating) times its idf, summed. One
    // ts_rank over the OR query would weigh a word found everywhere like a rare one.
    const perTerm = terms.map((t, i) => ({ from: `to_tsquery('english', ${p.add(`'${t.term}'`)}) q${i}`, idf: p.add(t.idf) }));
    const score = perTerm.map((t, i) => `${t.idf}::float8 * ts_rank(${WEIGHTS}, o.search, q${i})`).join(' + ');
    const matched = perTerm.map((_, i) => `(o.search @@ q${i})::int`).join(' + ');
    const phrased = phrases.length
      ? phrases.map((ph) => `(o.search @@ to_tsquery('english', ${p.add(phraseTsQuery(ph))}))::int`).join(' + ')
      : '0';
    const f = observationFilters(q, projects, p);
    // Every term common: only the newest matches are ranked (termPruning.SCORE_BUDGET), walked
    // newest first along the (project, time) or time index; the filters apply inside.
    const rows = weighted.recentOnly
      ? `(SELECT o.id, o.content_session_id, o.created_at_epoch, o.search FROM observations o
          WHERE o.search @@ to_tsquery('english', ${query})${f}
          ORDER BY o.created_at_epoch DESC, o.id DESC LIMIT ${p.add(Math.max(recentWindow(this.rankLimit), want))}) o`
      : 'observations o';
    // Neighbours are looked for among the records that pass the filters, like the hits.
    const zf = observationFilters(q, projects, p, 'z');
    // The pool and, in the same round trip, each pooled hit's neighbours in its session.
    const { rows: found } = await this.pool.query(
      `WITH hits AS (
         SELECT o.id, o.content_session_id, o.created_at_epoch, ${score} AS score, ${matched} AS matched, ${phrased} AS phrased
         FROM ${rows}, to_tsquery('english', ${query}) tq, ${perTerm.map((t) => t.from).join(', ')}
         WHERE o.search @@ tq${weighted.recentOnly ? '' : f} ORDER BY score DESC, o.id DESC LIMIT ${p.add(want)})
       SELECT h.id, h.score, h.matched, h.phrased, COALESCE(n.ids, '{}') AS neighbours FROM hits h
       CROSS JOIN LATERAL (SELECT array_agg(x.id) AS ids FROM (
         (SELECT z.id FROM observations z WHERE z.content_session_id = h.content_session_id
            AND (z.created_at_epoch, z.id) < (h.created_at_epoch, h.id)${zf}
            ORDER BY z.created_at_epoch DESC, z.id DESC LIMIT ${NEIGHBOUR_SPAN})
         UNION ALL
         (SELECT z.id FROM observations z WHERE z.content_session_id = h.content_session_id
            AND (z.created_at_epoch, z.id) > (h.created_at_epoch, h.id)${zf}
            ORDER BY z.created_at_epoch, z.id LIMIT ${NEIGHBOUR_SPAN})) x) n
       ORDER BY h.score DESC, h.id DESC`,
      p.values,
    );
    if (found.length === 0) return [];
    const pool = found.map((r) => ({
      id: Number(r.id),
      score: coordinated(Number(r.score), Number(r.matched), terms.length, Number(r.phrased), phrases.length),
    }));
    const neighbours = new Map<number, number[]>(found.map((r) => [Number(r.id), (r.neighbours as unknown[]).map(Number)]));
    const ranked = contextRerank(pool, neighbours);
    const page = ranked.slice(offset, offset + limit);
    if (page.length === 0) return [];
    const got = (await this.pool.query(`SELECT ${prefixed(OBS_COLS, 'o')} FROM observations o WHERE o.id = ANY($1::bigint[])`, [page]))
      .rows as Rows;
    const byId = new Map(got.map((r) => [Number(r.id), toObservation(r)]));
    return page.map((id) => byId.get(id)).filter((o): o is Observation => o !== undefined);
  }

  private async searchObservations(
    q: SearchQuery,
    projects: string[] | undefined,
    terms: WeightedTerms | null,
    limit: number,
    offset: number,
  ): Promise<Observation[]> {
    const relevance = !q.orderBy || q.orderBy === 'relevance';
    if (!this.vectorRanker || terms === null || !relevance) return this.keywordObservations(q, projects, terms, limit, offset);
    // Hybrid: reciprocal rank fusion of the keyword and vector rankings, then the filters again.
    const pool = fusionPool(offset, limit);
    const keyword = (await this.keywordObservations(q, projects, terms, pool, 0)).map((o) => o.id);
    const vector = await this.vectorRanker(q.query, projects, pool);
    const candidates = reciprocalRankFusion([keyword, vector], [1, this.vectorWeight]).slice(0, pool);
    if (candidates.length === 0) return [];
    const p = new Params();
    const ids = p.add(candidates);
    const f = observationFilters(q, projects, p);
    const rows = (await this.pool.query(`SELECT ${prefixed(OBS_COLS, 'o')} FROM observations o WHERE o.id = ANY(${ids}::bigint[])${f}`, p.values))
      .rows as Rows;
    const byId = new Map(rows.map((r) => [Number(r.id), toObservation(r)]));
    return candidates
      .map((id) => byId.get(id))
      .filter((o): o is Observation => o !== undefined)
      .slice(offset, offset + limit);
  }

  private async searchSummaries(
    q: SearchQuery,
    projects: string[] | undefined,
    tsq: string | null,
    limit: number,
    offset: number,
  ): Promise<Summary[]> {
    if (q.type?.length || q.concepts?.length || q.files?.length) return [];
    const p = new Params();
    const cols = prefixed(SUMMARY_COLS, 's');
    let sql: string;
    if (tsq === null) {
      const f = simpleFilters(q, projects, 's.project', 's.created_at_epoch', p);
      sql = `SELECT ${cols} FROM summaries s WHERE TRUE${f} ORDER BY ${orderClause(q, 's.created_at_epoch', 's.id', false)}`;
    } else {
      const query = p.add(tsq);
      const f = simpleFilters(q, projects, 's.project', 's.created_at_epoch', p);
      sql = `SELECT ${cols}, ts_rank_cd(${WEIGHTS}, s.search, tq, 1) AS score
             FROM summaries s, to_tsquery('english', ${query}) tq
             WHERE s.search @@ tq${f} ORDER BY ${orderClause(q, 's.created_at_epoch', 's.id', true)}`;
    }
    sql += ` LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
    return ((await this.pool.query(sql, p.values)).rows as Rows).map(toSummary);
  }

  private async searchPrompts(
    q: SearchQuery,
    projects: string[] | undefined,
    tsq: string | null,
    limit: number,
    offset: number,
  ): Promise<PromptRow[]> {
    if (q.type?.length || q.concepts?.length || q.files?.length) return [];
    const p = new Params();
    const base = `FROM user_prompts p JOIN sessions s ON s.id = p.session_id`;
    let sql: string;
    if (tsq === null) {
      const f = simpleFilters(q, projects, 's.project', 'p.created_at_epoch', p);
      sql = `SELECT ${PROMPT_COLS} ${base} WHERE TRUE${f} ORDER BY ${orderClause(q, 'p.created_at_epoch', 'p.id', false)}`;
    } else {
      const query = p.add(tsq);
      const f = simpleFilters(q, projects, 's.project', 'p.created_at_epoch', p);
      sql = `SELECT ${PROMPT_COLS}, ts_rank_cd(p.search, tq, 1) AS score ${base}, to_tsquery('english', ${query}) tq
             WHERE p.search @@ tq${f} ORDER BY ${orderClause(q, 'p.created_at_epoch', 'p.id', true)}`;
    }
    sql += ` LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
    return ((await this.pool.query(sql, p.values)).rows as Rows).map(toPrompt);
  }
}
