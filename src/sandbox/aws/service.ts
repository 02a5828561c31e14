// What one emulated AWS service looks like to the endpoint: its protocol, and how a request
// resolves to an operation name (needed before fault injection and logging) and a handler.

import type { IncomingHttpHeaders } from 'node:http';
import type { AwsState } from './state.js';
import { AwsError } from './wire.js';

export type Protocol = 'query' | 'ec2' | 'json' | 'restJson' | 'restXml';

export interface AwsRequest {
  method: string;
  /** path without the query string, percent-decoded per segment by the router */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** a handler's result: for query/ec2/json protocols the output structure; for REST ones also a status */
export interface RestAnswer {
  status?: number;
  /** restJson: the JSON body; restXml: the children of `root` */
  body?: unknown;
  /** restXml: the response's root element */
  root?: string;
  /** a body sent as it is (S3's object payloads and flattened lists) */
  raw?: string | Buffer;
  /** response headers the model binds output members to (ETag, Last-Modified) */
  headers?: Record<string, string>;
}

export interface Resolved {
  operation: string;
  run: () => unknown;
}

export interface ServiceDef {
  /** the name in the request log and in fault rules (sts, backup, eks, ec2, efs, secretsmanager, iam, route53, elbv2, sagemaker, rds, fsx) */
  name: string;
  /** the SigV4 signing name that routes requests here */
  signingName: string;
  protocol: Protocol;
  /** XML namespace of responses (query, ec2 and restXml protocols) */
  xmlns?: string;
  /** query protocol: the element name of a list's items, when the service names them (default "member") */
  itemName?: (listKey: string) => string;
  /** the operations it answers (each must have its model in aws-models/operations.json) */
  operations: string[];
  resolve(req: AwsRequest, state: AwsState): Resolved;
}

/** A service of the query or JSON protocols: operations by name, each given its decoded input. */
export function rpcService<Input>(
  def: Omit<ServiceDef, 'resolve' | 'operations'>,
  // the operations' input is the type inputOf decodes (query parameters or a JSON body)
  operations: Record<string, (input: NoInfer<Input>, state: AwsState) => unknown>,
  operationOf: (req: AwsRequest) => string | undefined,
  inputOf: (req: AwsRequest) => Input,
): ServiceDef {
  return {
    ...def,
    operations: Object.keys(operations),
    resolve(req, state) {
      const operation = operationOf(req) ?? 'Unknown';
      const handler = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      return {
        operation,
        run: () => {
          if (!handler) {
            if (def.protocol === 'json') throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
            throw new AwsError('InvalidAction', `The action ${operation} is not valid for this web service.`);
          }
          return handler(inputOf(req), state);
        },
      };
    },
  };
}

export interface Route {
  method: string;
  /** matched against the path; named groups become params */
  pattern: RegExp;
  operation: string;
  run: (params: Record<string, string>, req: AwsRequest, state: AwsState) => RestAnswer;
}

/** A REST service: routes by method and path. */
export function restService(def: Omit<ServiceDef, 'resolve' | 'operations'>, routes: Route[]): ServiceDef {
  return {
    ...def,
    operations: [...new Set(routes.map((r) => r.operation))],
    resolve(req, state) {
      for (const r of routes) {
        if (r.method !== req.method) continue;
        const m = r.pattern.exec(req.path);
        if (!m) continue;
        const params = Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, safeDecode(v)]));
        return { operation: r.operation, run: () => r.run(params, req, state) };
      }
      return {
        operation: 'Unknown',
        run: () => {
          throw new AwsError('UnknownOperationException', `No operation matches ${req.method} ${req.path}`, 404);
        },
      };
    },
  };
}

/** a malformed percent-escape is kept as sent rather than failing the request before it is logged */
export function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** a JSON protocol's request body: its members as the client sent them, each narrowed where it is used */
export type JsonInput = Record<string, unknown>;

const isJsonObject = (v: unknown): v is JsonInput => typeof v === 'object' && v !== null && !Array.isArray(v);

/** the request's JSON body; one that is not a JSON object cannot be read into an input structure */
export function jsonBody(req: AwsRequest): JsonInput {
  if (!req.body) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON');
  }
  if (!isJsonObject(parsed)) throw new AwsError('SerializationException', 'The request body is not a JSON object');
  return parsed;
}

/**
 * A string member of a JSON body: undefined when absent; another JSON type is refused with
 * SerializationException, as AWS's JSON services answer a member of the wrong type (and as the
 * model check in model/request-check.ts does before any handler runs).
 */
export function jsonString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsError('SerializationException', `${JSON.stringify(v)} at '${name}' cannot be read: expected a string`);
  return v;
}

export function required<T>(v: T | undefined | null, name: string, code = 'ValidationException'): T {
  if (v === undefined || v === null || v === '') throw new AwsError(code, `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return v;
}
