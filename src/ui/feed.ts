// The feed: prompts, observations and summaries merged newest first. Each kind is paged with
// offset/limit on its own endpoint; a k-way merge keeps the combined order correct across pages.
// Live rows from /stream are prepended and shift that kind's offset so paging neither repeats nor
// skips rows.
import { api, errorMessage, type Page } from './api.js';
import { type FeedItem, itemKey, itemTime, renderCard } from './cards.js';
import { openDetail } from './detail.js';
import { h, mount } from './dom.js';
import type { LiveStream } from './live.js';
import { currentProject, onProjectChange } from './state.js';

const PAGE = 30;

interface Source {
  fetch: (p: Page) => Promise<FeedItem[]>;
  buffer: FeedItem[];
  offset: number;
  done: boolean;
  /** Time of the oldest row fetched so far (rows newer than it sit before `offset`). */
  oldest: number;
}

function sources(): Record<FeedItem['kind'], Source> {
  const make = (fetch: Source['fetch']): Source => ({ fetch, buffer: [], offset: 0, done: false, oldest: Infinity });
  return {
    observation: make(async (p) => (await api.observations(p)).observations.map((row) => ({ kind: 'observation', row }))),
    summary: make(async (p) => (await api.summaries(p)).map((row) => ({ kind: 'summary', row }))),
    prompt: make(async (p) => (await api.prompts(p)).map((row) => ({ kind: 'prompt', row }))),
  };
}

export class Feed {
  private list!: HTMLElement;
  private more!: HTMLButtonElement;
  private status!: HTMLElement;
  private src = sources();
  private seen = new Set<string>();
  private loading = false;
  private generation = 0;
  private rendered = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly live: LiveStream,
  ) {}

  init(): void {
    this.list = h('div', { class: 'feed-list', id: 'feed-list', 'aria-live': 'polite', 'aria-relevant': 'additions' });
    this.status = h('p', { class: 'muted feed-status', role: 'status' });
    this.more = h('button', { type: 'button', class: 'btn load-more', id: 'feed-more' }, 'Load older');
    this.more.addEventListener('click', () => void this.loadMore());
    mount(this.root, h('h2', { class: 'sr-only' }, 'Feed'), this.list, this.status, this.more);
    // Infinite scroll: load the next page when the button comes into view.
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !this.loading && !this.allDone()) void this.loadMore();
    }, { rootMargin: '400px' }).observe(this.more);
    onProjectChange(() => void this.reload());
    // Rows stored while the stream was down never arrive as events: fetch the newest page again.
    let wasDown = false;
    this.live.onState((s) => {
      if (s === 'reconnecting') wasDown = true;
      else if (s === 'live' && wasDown) {
        wasDown = false;
        void this.catchUp();
      }
    });
    this.live.on((event, data) => {
      if (event === 'observation') this.prepend({ kind: 'observation', row: data as never });
      else if (event === 'summary') this.prepend({ kind: 'summary', row: data as never });
      else if (event === 'prompt') this.prepend({ kind: 'prompt', row: data as never });
      // A bulk import sends no per-row events: start over to show what arrived.
      else if (event === 'status' && Number((data as { imported?: number }).imported) > 200) void this.reload();
    });
    void this.reload();
  }

  async reload(): Promise<void> {
    this.generation++;
    this.src = sources();
    this.seen.clear();
    this.rendered = 0;
    this.loading = false;
    mount(this.list);
    await this.loadMore();
  }

  private allDone(): boolean {
    return Object.values(this.src).every((s) => s.done && s.buffer.length === 0);
  }

  private async fill(s: Source, gen: number): Promise<void> {
    const project = currentProject() || undefined;
    const rows = await s.fetch({ project, limit: PAGE, offset: s.offset });
    if (gen !== this.generation) return;
    s.offset += rows.length;
    s.buffer.push(...rows);
    if (rows.length) s.oldest = itemTime(rows[rows.length - 1]);
    if (rows.length < PAGE) s.done = true;
  }

  async loadMore(count = PAGE): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    const gen = this.generation;
    this.more.disabled = true;
    // One progress message at a time: the first page says so in the status line (the button is
    // hidden then), later pages on the button itself.
    if (this.rendered === 0) {
      this.more.hidden = true;
      this.status.textContent = 'Loading…';
    } else this.more.textContent = 'Loading older…';
    try {
      let added = 0;
      while (added < count) {
        const empty = Object.values(this.src).filter((s) => !s.done && s.buffer.length === 0);
        if (empty.length) await Promise.all(empty.map((s) => this.fill(s, gen)));
        if (gen !== this.generation) return;
        let best: Source | null = null;
        for (const s of Object.values(this.src)) {
          if (s.buffer.length && (!best || itemTime(s.buffer[0]) > itemTime(best.buffer[0]))) best = s;
        }
        if (!best) break;
        const item = best.buffer.shift()!;
        if (this.seen.has(itemKey(item))) continue;
        this.seen.add(itemKey(item));
        this.list.appendChild(renderCard(item, (it, opener) => openDetail(it, opener)));
        this.rendered++;
        added++;
      }
      this.status.textContent = this.rendered === 0 ? emptyText() : '';
    } catch (err) {
      if (gen === this.generation) this.status.textContent = `Could not load the feed: ${errorMessage(err)}`;
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        this.more.disabled = false;
        this.more.textContent = 'Load older';
        this.more.hidden = this.allDone();
      }
    }
  }

  private async catchUp(): Promise<void> {
    const gen = this.generation;
    const project = currentProject() || undefined;
    try {
      const fresh = sources();
      const pages = await Promise.all(Object.values(fresh).map((s) => s.fetch({ project, limit: PAGE, offset: 0 })));
      if (gen !== this.generation) return;
      const unseen = pages.flat().filter((i) => !this.seen.has(itemKey(i)));
      // Oldest first, so the newest ends up on top.
      for (const item of unseen.sort((a, b) => itemTime(a) - itemTime(b))) this.prepend(item);
    } catch {
      /* still offline: the next reconnect tries again */
    }
  }

  private prepend(item: FeedItem): void {
    const project = currentProject();
    if (project && item.row.project !== project) return;
    const key = itemKey(item);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    // A row newer than what we paged through shifts the server's list: later pages start one
    // further down. An older one (an import with its original date) lies ahead and is skipped
    // there as already seen.
    const src = this.src[item.kind];
    if (src.offset > 0 && itemTime(item) >= src.oldest) src.offset++;
    const card = renderCard(item, (it, opener) => openDetail(it, opener));
    card.classList.add('card-new');
    this.list.prepend(card);
    this.rendered++;
    this.status.textContent = '';
  }
}

function emptyText(): string {
  return currentProject()
    ? `Nothing recorded for ${currentProject()} yet.`
    : 'No memories yet. They appear here as Claude Code works (prompts, observations and session summaries).';
}
