/**
 * Callbacks whose first parameter is another party's data: a window's `message` event, what a
 * socket.io or ws client sends, an archive reader's `entry` event.
 */

/** `socket.on("chat", (msg) => ...)`, `ws.on("message", (data) => ...)`: any event of a socket. */
export const SOCKET_ON = /(?:^|[.\s])(?:socket|ws|websocket|io)\.on$/i;

/** An event name given as a string literal. */
export const EVENT_NAME = /^["'`]/;

/** `window.addEventListener("message", fn)`. */
export const ADD_LISTENER = /addEventListener$/;
export const MESSAGE_EVENT = /^["'`]message["'`]$/;

/** `extract.on("entry", (header, stream) => ...)` (tar-stream and other archive readers). */
export const ON = /\.on$/;
export const ENTRY_EVENT = /^["'`]entry["'`]$/;

/** `window.onmessage = fn`. */
export const ONMESSAGE = /(?:^|\.)onmessage$/;
