/**
 * AWS Lambda (API Gateway, function URLs, S3/SQS/SNS/EventBridge events) in JavaScript: which
 * function is a handler, which parameter is its event, and the members only such an event has.
 */

/**
 * Members that only an API Gateway / Lambda function URL event has: read from any object, they are
 * the request (`module.exports.getUser = async (event) => event.pathParameters.id`).
 */
export const LAMBDA_EVENT_MEMBERS = new Set([
  "queryStringParameters",
  "pathParameters",
  "multiValueQueryStringParameters",
  "rawQueryString",
  "rawPath",
]);

/** Handler names: `handler`, `lambdaHandler`, `exports.handler`. */
export const LAMBDA_HANDLER_NAME = /^(?:handler|lambdaHandler|lambda_handler)$|(?:^|\.)handler$/;

/** A first parameter named for the event. */
export const EVENT_PARAM = /^(?:event|evt|_event)$/;

/** A destructured event names an event's members: `({ body, pathParameters }, context)`. */
export const EVENT_MEMBERS_PATTERN =
  /\b(?:body|queryStringParameters|pathParameters|multiValueQueryStringParameters|headers|Records|requestContext|rawPath|rawQueryString|detail)\b/;

/** A second parameter named for Lambda's context. */
export const LAMBDA_CONTEXT_PARAM = /^(?:context|ctx|_context|lambdaContext)$/;

/** Event types from @types/aws-lambda. */
export const LAMBDA_EVENT_TYPE = /APIGateway|S3Event|SQSEvent|SNSEvent|EventBridge|DynamoDBStreamEvent|LambdaFunctionURLEvent/;
