// In-process fan-out of what the worker stores, for the SSE stream (viewer live feed).
import { EventEmitter } from 'node:events';

export type BusEvent = 'prompt' | 'observation' | 'summary' | 'queue' | 'status';

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open viewer tab is one listener; don't warn at 10.
    this.emitter.setMaxListeners(0);
  }

  emit(event: BusEvent, data: unknown): void {
    this.emitter.emit('event', event, data);
  }

  subscribe(fn: (event: BusEvent, data: unknown) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
