/** Django (and Django REST framework): the request's members and methods, and which functions are views whose parameters are URL captures. */

/** Members of Django's HttpRequest that hold what the client sent. */
export const REQUEST_MEMBERS = ["GET", "POST", "META", "COOKIES", "FILES"];

/** Methods of Django's request that return the URL (Python only: `request.post(...)` is an HTTP client in JavaScript). */
export const PY_ONLY_REQUEST_METHODS = ["get_full_path", "build_absolute_uri"];

/** Class-based views: `def get(self, request, pk)` in a *View / *ViewSet / *APIView / *Resource class. */
export const VIEW_CLASS = /View(?:Set)?$|APIView$|Resource$/;

/** A function that answers the request (so its parameters after `request` are the URL's captures). */
export const VIEW_RESPONSE =
  /\b(?:render|redirect|HttpResponse\w*|JsonResponse|Response|FileResponse|StreamingHttpResponse|get_object_or_404)\s*\(/;

/** Captures that are usually `<int:...>`, `<slug:...>` or `<uuid:...>`: numbers and slugs, not free text. */
export const TYPED_CAPTURE = /^(?:pk|id|\w+_id|\w+_pk|year|month|day|page|num|number|count|index|version|slug|\w+_slug|uuid|\w+_uuid)$/;
