/** NestJS: parameter decorators that hand a handler request data or the request itself. */

/**
 * `@Body() dto`, `@Query("q") q`, `@Param("id") id`, `@Headers() h` (GraphQL resolvers' `@Args("x")`
 * and WebSocket gateways' `@MessageBody()` too): the parameter is request data.
 */
export const NEST_SOURCE_DECORATOR = /^@(?:Body|Query|Param|Headers|Cookies|UploadedFiles?|HostParam|Args|MessageBody)\b/;

/** `@Req() req`, `@Request() req`: the parameter is the request object. */
export const NEST_REQUEST_DECORATOR = /^@(?:Req|Request)\b/;
