/** AWS Lambda (and other serverless handlers) in Python: `def handler(event, context)`. */

/** A handler by name. */
export const HANDLER_NAME = /handler$/i;

/** The event parameter's name. */
export const EVENT_PARAM = "event";

/** A parameter list with a context parameter. */
export const CONTEXT_PARAM = /context/;
