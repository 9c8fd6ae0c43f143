/** Python GraphQL servers (Graphene, Ariadne, Strawberry): resolvers whose parameters after `info` are the client's arguments. */

/** The resolver's `info` parameter (the arguments follow it). */
export const INFO_PARAM = "info";

/** Graphene's `resolve_x(root, info, **args)`. */
export const RESOLVER_NAME = /^resolve_/;

/** `@strawberry.field`, `@strawberry.mutation`, `@query.field("x")` (Ariadne). */
export const RESOLVER_DECORATOR = /@(?:strawberry\.(?:field|mutation)|\w+\.field\s*\()/;
