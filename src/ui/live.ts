// The live connection to GET /stream. EventSource reconnects by itself after a dropped connection;
// when the browser gives up (readyState CLOSED, e.g. the worker answered with an error while
// restarting) we open a new one after a pause. The header indicator shows which state we are in.

export type LiveEvent = 'prompt' | 'observation' | 'summary' | 'queue' | 'status';
export type LiveState = 'connecting' | 'live' | 'reconnecting';

type Listener = (event: LiveEvent, data: unknown) => void;

const EVENTS: LiveEvent[] = ['prompt', 'observation', 'summary', 'queue', 'status'];
const REOPEN_MS = 3000;

export class LiveStream {
  private source: EventSource | null = null;
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(s: LiveState) => void>();
  state: LiveState = 'connecting';

  constructor(private readonly url = '/stream') {}

  start(): void {
    this.open();
  }

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onState(fn: (s: LiveState) => void): void {
    this.stateListeners.add(fn);
    fn(this.state);
  }

  private setState(s: LiveState): void {
    if (s === this.state) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  private open(): void {
    const es = new EventSource(this.url);
    this.source = es;
    es.addEventListener('open', () => this.setState('live'));
    es.addEventListener('hello', () => this.setState('live'));
    es.addEventListener('error', () => {
      this.setState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setTimeout(() => {
          if (this.source === es) this.open();
        }, REOPEN_MS);
      }
    });
    for (const name of EVENTS) {
      es.addEventListener(name, (e) => {
        let data: unknown = null;
        try {
          data = JSON.parse((e as MessageEvent<string>).data);
        } catch {
          return;
        }
        for (const fn of this.listeners) fn(name, data);
      });
    }
  }
}
