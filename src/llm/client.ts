/**
 * One request to an OpenAI-compatible chat-completions endpoint (`POST <url>/chat/completions`):
 * a time limit, no redirects (the key is never sent elsewhere), a bounded response, and errors
 * that say what failed in a word (`LlmError.reason`) without the key, the prompt or the body.
 */
import type { LlmSettings } from "../config/env.js";

export interface ChatMessage {
  role: "system" | "user";
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** The completion's cap, sent as `max_tokens`. */
  maxTokens: number;
  /** The caller's stop (a job's time limit); the request's own timeout applies as well. */
  signal?: AbortSignal;
}

export interface ChatResult {
  content: string;
  /** Prompt plus completion tokens, from the response's `usage`; undefined when it sent none. */
  totalTokens?: number;
}

/** Why a request gave no usable text: the one word the fallback's log line carries. */
export type LlmFailure = "timeout" | "aborted" | "network" | "http" | "too_large" | "malformed" | "empty";

export class LlmError extends Error {
  constructor(
    readonly reason: LlmFailure,
    /** The HTTP status, for `http`. */
    readonly status?: number,
  ) {
    super(status === undefined ? `language model request failed: ${reason}` : `language model request failed: HTTP ${status}`);
    this.name = "LlmError";
  }
}

/** Larger answers are refused unread: a completion capped at a few hundred tokens is a few KB. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

/** The settings the client needs (the rest of LlmSettings is the caller's). */
export type ClientSettings = Pick<LlmSettings, "url" | "model" | "apiKey" | "timeoutMs">;

export async function chatCompletion(settings: ClientSettings, request: ChatRequest): Promise<ChatResult> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  let text: string;
  try {
    const response = await fetch(`${settings.url}/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: settings.model, messages: request.messages, max_tokens: request.maxTokens, temperature: 0 }),
      redirect: "manual",
      signal,
    });
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      throw new LlmError("http", response.status);
    }
    text = await readBounded(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (error instanceof LlmError) throw error;
    // Never the underlying message: undici's may quote the URL, which may carry a key in its query.
    if (timeout.aborted) throw new LlmError("timeout");
    if (signal.aborted) throw new LlmError("aborted");
    throw new LlmError("network");
  }
  return parseCompletion(text);
}

async function readBounded(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new LlmError("too_large");
  }
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new LlmError("too_large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `choices[0].message.content` and `usage.total_tokens` (else prompt + completion), checked for shape. */
export function parseCompletion(text: string): ChatResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LlmError("malformed");
  }
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) throw new LlmError("malformed");
  const content = (choices[0] as { message?: { content?: unknown } } | undefined)?.message?.content;
  if (content !== undefined && content !== null && typeof content !== "string") throw new LlmError("malformed");
  if (typeof content !== "string" || content.trim() === "") throw new LlmError("empty");
  return { content, totalTokens: usageTokens((body as { usage?: unknown }).usage) };
}

function usageTokens(usage: unknown): number | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const u = usage as { total_tokens?: unknown; prompt_tokens?: unknown; completion_tokens?: unknown };
  const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.ceil(v) : undefined);
  const total = count(u.total_tokens);
  if (total !== undefined) return total;
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  return prompt === undefined && completion === undefined ? undefined : (prompt ?? 0) + (completion ?? 0);
}
