// Types of verify.mjs, for TypeScript receivers: copy both files.

/** Node's IncomingHttpHeaders, a plain object (any key case), a fetch Headers, a Map or [name, value] pairs. */
export type HeadersLike =
  { get(name: string): string | null } | Record<string, string | string[] | number | undefined> | Iterable<readonly [string, string]>;

export type SignatureScheme = "standard-webhooks" | "empathy";

export interface VerifyOptions {
  /** Accepted clock difference for `webhook-timestamp`, both ways; default 300 seconds. */
  toleranceSeconds?: number;
  /** The current time: a Date or Unix seconds; default the clock. */
  now?: Date | number;
  /** Also accept `X-Empathy-Signature` alone (no replay protection: `id` and `timestamp` are null). Default false. */
  allowLegacy?: boolean;
}

/** A Standard Webhooks result carries the signed id and timestamp; a legacy one never carries unsigned values. */
export type VerifyResult =
  | { ok: true; id: string; timestamp: number; scheme: "standard-webhooks" }
  | { ok: true; id: null; timestamp: null; scheme: "empathy" }
  | { ok: false; reason: string };

export declare const DEFAULT_TOLERANCE_SECONDS: number;

export declare function getHeader(headers: HeadersLike, name: string): string | undefined;

export declare function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  headers: HeadersLike,
  secret: string | readonly string[],
  options?: VerifyOptions,
): VerifyResult;

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
  "X-Empathy-Signature": string;
}

export declare function signWebhook(input: {
  id: string;
  timestamp: Date | number;
  body: string | Uint8Array;
  secret: string;
}): SignedHeaders;

/** Where a receiver remembers the deliveries it handled. */
export interface SeenStore {
  has(id: string): boolean | Promise<boolean>;
  add(id: string): void | Promise<void>;
}

export interface MemorySeenStoreOptions {
  /** How long an id is remembered; default 24 h. */
  ttlSeconds?: number;
  /** The most ids kept; the oldest go first. Default 100,000. */
  maxEntries?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export declare class MemorySeenStore implements SeenStore {
  constructor(options?: MemorySeenStoreOptions);
  has(id: string): boolean;
  add(id: string): void;
  readonly size: number;
}
