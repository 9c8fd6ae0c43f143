/**
 * FastAPI, Starlette and pydantic: the request's members, parameter markers (`Query`, `Body`...),
 * types the framework validates (numbers, `Literal`, enums, patterns), uploads, and dependencies
 * that are not request data.
 */

/** Members of Starlette's request that hold what the client sent. */
export const REQUEST_MEMBERS = ["query_params", "path_params"];

/** FastAPI parameter markers whose value comes from the request. */
export const FASTAPI_MARKERS = new Set(["Query", "Body", "Form", "Path", "Header", "Cookie", "File", "UploadFile"]);

/** `Query(..., pattern=r"^[a-z0-9-]+$")`, `Annotated[str, Path(regex=...)]`, `constr(pattern=...)`: anything else is rejected. */
export const PATTERN_ARG = /\b(?:regex|pattern)\s*=/;

/** Parameter types the framework converts or rejects: numbers, dates, UUIDs (pydantic's constrained numbers too). */
export const SAFE_PARAM_TYPE =
  /^(?:int|float|bool|complex|Decimal|UUID|uuid\.UUID|date|datetime|time|timedelta|conint|confloat|PositiveInt|NonNegativeInt)\b/;

/** `Literal["a", "b"]`: only the listed values are accepted. */
export const LITERAL_TYPE = /^(?:typing\.)?Literal\[/;

/** A type named like a class (an Enum of this file is looked for with enumClass). */
export const CLASS_NAME = /^[A-Z]\w*$/;

/** The declaration of `typeName` as a str / int Enum. */
export function enumClass(typeName: string): RegExp {
  return new RegExp(`\\bclass\\s+${typeName}\\s*\\((?:\\s*(?:str|int)\\s*,)?\\s*(?:enum\\.)?(?:Str|Int)?Enum\\b`);
}

/** An `UploadFile` parameter: a file object for paths (its `.filename` is the client's text). */
export const UPLOAD_FILE_TYPE = /^UploadFile\b/;

/** `Depends(...)`, sessions, background tasks, responses, connections: provided by the app, not the client. */
export const DEPENDS = "Depends";
export const DEPENDENCY_TYPE = /Session|Depends|BackgroundTasks|Response|Connection|Engine/;
export const DEPENDENCY_NAME = /^(?:db|session|conn|background_tasks|current_user|user|settings)$/;

/** Request parameters by type: Request, HttpRequest, WSGIRequest, func.HttpRequest (Starlette, Django, Azure Functions). */
export const REQUEST_TYPE = /(?:\b|Http|WSGI|ASGI)Request\b/;

/** Parameters named for the request. */
export const REQUEST_PARAM_NAMES = new Set(["request", "req"]);
