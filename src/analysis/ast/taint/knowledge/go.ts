/**
 * Go: net/http's request and URL, the web frameworks' contexts (gin, echo, fiber, fasthttp, iris,
 * buffalo) and routers (gorilla/mux, chi), decoders and binders that fill a target, the standard
 * library's wrappers and builders, and parameter types that carry no text.
 */

/** Functions that fill their `&target` argument from their input (a decoder, a framework's binder). */
export const GO_DECODERS =
  "Decode|Unmarshal|UnmarshalJSON|Bind|BindJSON|BindQuery|BindUri|BindHeader|BindXML|BindYAML|ShouldBind|ShouldBindJSON|ShouldBindQuery|ShouldBindUri|ShouldBindHeader|ShouldBindXML|ShouldBindYAML|ShouldBindWith|BindWith|BodyParser|QueryParser|ParamsParser|ReqHeaderParser|ReadJSON|ReadForm|ReadQuery";

/** A call of one of them (json.Unmarshal, a decoder, gin's ShouldBindJSON). */
export const GO_DECODER_CALL = new RegExp(`(?:^|\\.)(?:${GO_DECODERS})$`);

export const GO_REQUEST_MEMBERS = new Set(["Form", "PostForm", "MultipartForm", "Header", "Body", "Host", "RequestURI", "Trailer"]);
export const GO_REQUEST_METHODS = new Set([
  "FormValue",
  "PostFormValue",
  "FormFile",
  "Cookie",
  "Cookies",
  "Referer",
  "UserAgent",
  "MultipartReader",
  "PathValue",
]);
export const GO_URL_MEMBERS = new Set(["Path", "RawQuery", "RawPath", "Fragment", "Host", "Opaque"]);
export const GO_URL_METHODS = new Set(["Query", "String", "EscapedPath", "RequestURI", "Hostname"]);
/** Methods of a framework context (gin, echo, fiber...) that return request data. */
export const GO_CONTEXT_METHODS = new Set([
  "Query",
  "DefaultQuery",
  "GetQuery",
  "QueryArray",
  "QueryMap",
  "Param",
  "Params",
  "PostForm",
  "DefaultPostForm",
  "GetPostForm",
  "PostFormArray",
  "GetHeader",
  "FormValue",
  "FormParams",
  "QueryParam",
  "QueryParams",
  "QueryString",
  "Cookie",
  "Body",
  "GetRawData",
  "FormFile",
]);

/** `os.Getenv("X")`, `os.LookupEnv("X")`; `os.Args`. */
export const GO_OS_GETENV = new Set(["Getenv", "LookupEnv"]);

/** Router functions that return the URL's parameters: gorilla/mux's `mux.Vars(r)`, chi's `chi.URLParam(r, "id")`. */
export const GO_ROUTE_PARAMS = "mux.Vars";
export const GO_CHI_PARAMS = new Set(["chi.URLParam", "chi.URLParamFromCtx"]);

/** Functions whose result is their arguments' data, reshaped (not sanitised). */
export const WRAPPERS = [
  "fmt.Sprint",
  "fmt.Sprintln",
  "strings.TrimSpace",
  "strings.ToLower",
  "strings.ToUpper",
  "strings.Trim",
  "strings.TrimPrefix",
  "strings.TrimSuffix",
  "strings.Title",
  "filepath.Join",
  "filepath.Clean",
  "filepath.Abs",
  "filepath.Dir",
  "path.Join",
  "path.Clean",
  "url.QueryUnescape",
  "url.PathUnescape",
  "url.Parse",
  "string",
  "[]byte",
  // reading a body reads its data: io.ReadAll(r.Body)
  "io.ReadAll",
  "ioutil.ReadAll",
  "strings.Fields",
  "strings.Split",
];

/** Functions that build a string from their arguments. */
export const BUILDERS = ["fmt.Sprintf", "strings.Join", "strings.Replace", "strings.ReplaceAll", "strings.Repeat"];

export const COLLECTIONS: string[] = [];
export const FIRST_ARG_WRAPPERS: string[] = [];

/** `filepath.Clean("/" + name)`: cleaned as a rooted path, every `..` stops at "/". */
export const GO_CLEAN = /^(?:filepath|path)\.Clean$/;

/** Parameter types that carry no text. */
export const GO_SAFE_TYPE = /^(?:u?int(?:8|16|32|64)?|float(?:32|64)|bool|byte|rune|time\.Duration|time\.Time|uuid\.UUID)$/;
/** `r *http.Request`. */
export const GO_REQUEST_TYPE = /\*?\s*http\.Request\b/;
/** Framework contexts. */
export const GO_CONTEXT_TYPE = /gin\.Context|echo\.Context|fiber\.Ctx|fasthttp\.RequestCtx|iris\.Context|buffalo\.Context/;
