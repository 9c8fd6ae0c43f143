/**
 * The stored events the dashboard reads, as a narrow interface the composition root fills from
 * the store (src/store/** is not the dashboard's to change). The events page shows the live
 * stream above and this history below it, newest first, a page at a time.
 */
import type { AnyEventEnvelope } from "../events/catalog.js";

export interface StoredEventQuery {
  /** Lower-cased "owner/name": only events of these repositories. */
  repos: string[];
  /** Also events naming no repository (admins). */
  includeUnscoped: boolean;
  /** Only these event types; absent: all. */
  types?: string[];
  /** The `next` cursor of the previous page; absent: the newest events. */
  before?: string;
  limit: number;
}

export interface StoredEventPage {
  /** Newest first. */
  events: AnyEventEnvelope[];
  /** Cursor of the next (older) page; absent: no more. */
  next?: string;
}

/** A stored event and its place in the order every instance reads (the store's seq). */
export interface SequencedEvent {
  seq: number;
  envelope: AnyEventEnvelope;
}

export interface EventHistory {
  listEvents(query: StoredEventQuery): Promise<StoredEventPage>;
  /**
   * The events stored after the one with this id, oldest first, at most `limit` (a stream resumed
   * on another instance than the one it was on). undefined: that id is not stored.
   */
  eventsAfter?(id: string, options: { limit: number }): Promise<AnyEventEnvelope[] | undefined>;
  /**
   * The three reads that let the live stream tail the store (every instance's events, in the
   * store's order; see src/dashboard/eventStream.ts): without all three it carries only this
   * instance's bus.
   */
  eventsAfterSeq?(seq: number, options: { limit: number }): Promise<SequencedEvent[]>;
  eventSeq?(id: string): Promise<number | undefined>;
  newestEventSeq?(): Promise<number>;
  /** Called after this instance recorded events: its stream reads them without waiting for its next poll. */
  onEventsAppended?(listener: () => void): () => void;
}
