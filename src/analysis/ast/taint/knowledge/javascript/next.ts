/** Next.js (and React Router): route handlers, page props and navigation hooks that carry the URL. */

/** Route handlers `export async function GET(request, { params })`: the request, then the route's params. */
export const NEXT_ROUTE_HANDLER = /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/;

/** Pages `export default function Page({ params, searchParams })`: a destructured first parameter with this is the URL's. */
export const NEXT_PAGE_PROPS = /\bsearchParams\b/;

/** `req.nextUrl`: the request's URL object. */
export const NEXT_URL_MEMBER = "nextUrl";

/** Hooks that return the page URL's parts: `useSearchParams()`, `useParams()`, `useRouter()`. */
export const NAVIGATION_HOOKS = new Set(["useSearchParams", "useParams", "useRouter"]);

/** A parameter typed `FormData` (a server action's form): what the client submitted. */
export const FORM_DATA_TYPE = /\bFormData\b/;
