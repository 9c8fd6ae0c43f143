/** Bottle, Pyramid, Falcon, aiohttp and Azure Functions: their request objects' members and methods. */

/** Members that hold what the client sent. */
export const REQUEST_MEMBERS = ["match_info", "forms", "matchdict", "json_body", "media", "rel_url", "referrer", "route_params"];

/** Methods that return request data on Python's request objects only (`request.post(...)` in JavaScript is an HTTP client). */
export const PY_ONLY_REQUEST_METHODS = ["get_param", "get_param_as_list", "post"];
