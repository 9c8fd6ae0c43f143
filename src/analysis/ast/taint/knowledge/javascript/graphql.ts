/** GraphQL resolver maps and tRPC procedures: where a function's arguments are what the client sent. */

/** The root types of a resolver map: `Query: { user: (parent, args) => ... }`. */
export const GRAPHQL_ROOT_TYPE = /^["']?(?:Query|Mutation|Subscription)["']?$/;

/** A tRPC procedure's callee: `publicProcedure.input(schema).query(...)`. */
export const TRPC_PROCEDURE = /\.input\s*\([\s\S]*\.(?:query|mutation|subscription)$/;

/** The destructured member of a procedure's argument that is the client's input. */
export const TRPC_INPUT = "input";
