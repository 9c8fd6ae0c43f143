/**
 * The browser and front-end frameworks: the page's URL (`location`, `document`, `window`, a
 * WHATWG `URL`), jQuery's element collections and getters, Angular's route, and React's and
 * Vue's memoised values.
 */

/** Members of `location` that hold the page URL. */
export const LOCATION_MEMBERS = new Set(["href", "hash", "search", "pathname"]);

/** Members of `document` that hold the page URL, the referrer or the cookies. */
export const DOCUMENT_MEMBERS = new Set(["URL", "documentURI", "baseURI", "referrer", "cookie"]);

/** Members of a URL object (`req.nextUrl`, `new URL(...)`) that hold the URL's parts. */
export const URL_MEMBERS = new Set(["searchParams", "search", "pathname", "href", "hash", "query", "params"]);

/** Names of the global window object. */
export const WINDOW_NAMES = new Set(["window", "globalThis", "self"]);

/** jQuery's function names: `$(...)` is an element collection, not text. */
export const JQUERY_NAMES = new Set(["$", "jQuery"]);

/** A receiver that is a jQuery collection: `$(...)`, `jQuery(...)`. */
export const JQUERY_RECEIVER = /^(?:\$|jQuery)\s*\(/;

/** jQuery methods that read from the page when called without the value to set. */
export const JQUERY_GETTERS = new Set(["text", "html", "val", "attr", "prop", "data", "css"]);

/** Of those, the ones whose getter takes no argument at all (`attr("href")` takes one). */
export const JQUERY_NO_ARG_GETTERS = new Set(["text", "html", "val"]);

/** Angular: `this.route.snapshot.queryParamMap` / `paramMap` / `queryParams` (the page URL). */
export const ANGULAR_ROUTE_MEMBERS = /^(?:queryParamMap|paramMap|queryParams|fragment)$/;
export const ANGULAR_ROUTE = /route/i;

/** React's `useMemo(() => ...)`, Vue's `computed(() => ...)`: the callback's return value. */
export const MEMO_HOOKS = new Set(["useMemo", "computed"]);
