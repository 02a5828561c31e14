// One HTTP endpoint for the whole emulated AWS account. A request is routed by the service in
// its SigV4 credential scope (signatures are not checked), resolved to an operation, passed
// through the shared Traffic (fault, latency, log), then answered in that service's own wire
// protocol so that the real SDK clients and the aws CLI parse it as they would AWS's answer.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Scenario } from '../scenario.js';
import type { Traffic, TransportFault } from '../traffic.js';
import { seedAws } from './seed.js';
import type { AwsRequest, Protocol, RestAnswer, ServiceDef } from './service.js';
import { backup } from './services/backup.js';
import { ec2 } from './services/ec2.js';
import { efs } from './services/efs.js';
import { eks } from './services/eks.js';
import { elbv2 } from './services/elbv2.js';
import { fsx } from './services/fsx.js';
import { iam } from './services/iam.js';
import { rds } from './services/rds.js';
import { route53, route53ItemName } from './services/route53.js';
import { sagemaker } from './services/sagemaker.js';
import { secretsmanager } from './services/secretsmanager.js';
import { sts } from './services/sts.js';
import { s3 } from './services/s3.js';
import { checkRequest } from './model/request-check.js';
import { AwsState, type AwsTiming } from './state.js';
import { AwsError, requestId, toXml, xmlEscape } from './wire.js';

export const SERVICES: ServiceDef[] = [sts, backup, eks, ec2, efs, secretsmanager, iam, route53, elbv2, sagemaker, rds, fsx, s3];
const BY_SIGNING_NAME = new Map(SERVICES.map((s) => [s.signingName, s]));

/** one answer the endpoint sent, as `onResponse` sees it */
export interface AwsReply {
  service: string;
  operation: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AwsEmulatorOptions {
  traffic: Traffic;
  scenario: Scenario;
  timing?: AwsTiming;
  /**
   * Judge every request by its operation's input shape in the official AWS model and refuse a
   * malformed one as the service would (default true). False (`kfup sandbox up --lenient`)
   * leaves requests to the handlers alone, for experiments.
   */
  strict?: boolean;
  /** called with every answer sent; the test helpers check each against the model's output shape */
  onResponse?: (reply: AwsReply) => void;
}

/** Describe*, List* and Get* read; everything else writes */
export const isMutating = (operation: string): boolean => !/^(Describe|List|Get)/.test(operation);

/** the service a request is for: the credential scope, or (unsigned requests) the JSON target or path */
export function serviceOf(req: IncomingMessage, path: string, query?: URLSearchParams): ServiceDef | undefined {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  if (scope) return BY_SIGNING_NAME.get(scope[1]);
  // a pre-signed URL carries its credential scope in the query string
  const presigned = /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(query?.get('X-Amz-Credential') ?? '');
  if (presigned) return BY_SIGNING_NAME.get(presigned[1]);
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('secretsmanager.')) return secretsmanager;
  if (target.startsWith('SageMaker.')) return sagemaker;
  if (target.startsWith('AWSSimbaAPIService_v20180301.')) return fsx;
  if (path.startsWith('/2013-04-01/')) return route53;
  if (path.startsWith('/backup-')) return backup;
  if (path.startsWith('/clusters')) return eks;
  if (path.startsWith('/2015-02-01/')) return efs;
  return undefined;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  /** bytes only for S3 objects that are not text */
  body: string | Buffer;
}

const XML = { 'content-type': 'text/xml' };

function success(svc: ServiceDef, operation: string, result: unknown, rid: string): Reply {
  switch (svc.protocol) {
    case 'query': {
      const inner = result === undefined ? '' : `<${operation}Result>${toXml(result, svc.itemName ?? (() => 'member'))}</${operation}Result>`;
      return {
        status: 200,
        headers: XML,
        body: `<${operation}Response xmlns="${svc.xmlns}">${inner}<ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata></${operation}Response>`,
      };
    }
    case 'ec2':
      return { status: 200, headers: XML, body: `<${operation}Response xmlns="${svc.xmlns}"><requestId>${rid}</requestId>${toXml(result, () => 'item')}</${operation}Response>` };
    case 'json':
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': rid }, body: JSON.stringify(result ?? {}) };
    case 'restJson': {
      const r = (result ?? {}) as { status?: number; body?: unknown };
      return { status: r.status ?? 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': rid }, body: JSON.stringify(r.body ?? {}) };
    }
    case 'restXml': {
      const r = (result ?? {}) as RestAnswer;
      if (r.raw !== undefined || r.headers) {
        return { status: r.status ?? 200, headers: { ...XML, ...(r.headers ?? {}), 'x-amzn-requestid': rid }, body: r.raw ?? '' };
      }
      if (r.status === 204) return { status: 204, headers: { 'x-amzn-requestid': rid }, body: '' };
      const root = r.root ?? `${operation}Response`;
      return {
        status: r.status ?? 200,
        headers: { ...XML, 'x-amzn-requestid': rid },
        body: `<?xml version="1.0"?>\n<${root} xmlns="${svc.xmlns}">${toXml(r.body, route53ItemName)}</${root}>`,
      };
    }
  }
}

function failure(protocol: Protocol, xmlns: string | undefined, err: AwsError, rid: string): Reply {
  const code = xmlEscape(err.code);
  const msg = xmlEscape(err.message);
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  switch (protocol) {
    case 'query':
    case 'restXml':
      return {
        status: err.status,
        headers: { ...XML, 'x-amzn-requestid': rid },
        body: `<ErrorResponse${xmlns ? ` xmlns="${xmlns}"` : ''}><Error><Type>${type}</Type><Code>${code}</Code><Message>${msg}</Message></Error><RequestId>${rid}</RequestId></ErrorResponse>`,
      };
    case 'ec2':
      return { status: err.status, headers: XML, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${msg}</Message></Error></Errors><RequestID>${rid}</RequestID></Response>` };
    case 'json':
      return {
        status: err.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': rid },
        body: JSON.stringify({ __type: err.code, message: err.message, ...err.extra }),
      };
    case 'restJson':
      return {
        status: err.status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': rid, 'x-amzn-errortype': err.code },
        body: JSON.stringify({ message: err.message, ...err.extra }),
      };
  }
}

/** the error a transport fault answers with, in each protocol's usual spelling */
function faultError(fault: Exclude<TransportFault, 'drop' | 'conflict'>, svc: ServiceDef): AwsError {
  const p = svc.protocol;
  if (fault === 'throttle') {
    if (p === 'ec2') return new AwsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    if (p === 'restJson') return new AwsError('TooManyRequestsException', 'Rate exceeded', 429);
    if (p === 'restXml') return new AwsError('Throttling', 'Rate exceeded', 429);
    if (p === 'json') return new AwsError('ThrottlingException', 'Rate exceeded', 400);
    return new AwsError('Throttling', 'Rate exceeded', 400);
  }
  if (fault === 'error500') return new AwsError(p === 'ec2' ? 'InternalError' : 'InternalFailure', 'An internal error has occurred', 500);
  return new AwsError(p === 'ec2' ? 'Unavailable' : 'ServiceUnavailable', 'Service is unavailable. Please try again later.', 503);
}

export class AwsEmulator {
  readonly state: AwsState;
  private readonly traffic: Traffic;
  private readonly strict: boolean;
  private readonly onResponse?: (reply: AwsReply) => void;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(opts: AwsEmulatorOptions) {
    this.traffic = opts.traffic;
    this.strict = opts.strict ?? true;
    this.onResponse = opts.onResponse;
    this.state = seedAws(new AwsState(opts.scenario.accountId, opts.scenario.region, () => opts.traffic.scenario, opts.timing ?? {}), opts.scenario);
  }

  /** listens on 127.0.0.1 (a free port) and returns the endpoint URL */
  async start(): Promise<string> {
    if (this.server) return this.url();
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // a handler bug must not take the endpoint down: answer a generic 500
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: 'internal error in the AWS sandbox' }));
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return this.url();
  }

  url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('the AWS sandbox is not running');
    return `http://127.0.0.1:${addr.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const awsReq: AwsRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    const rid = requestId();
    const svc = serviceOf(req, url.pathname, url.searchParams);
    const method = awsReq.method;

    if (!svc) {
      const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
      const reply = failure('json', undefined, new AwsError('UnknownServiceException', `The sandbox does not emulate service ${scope?.[1] ?? '(unsigned request)'}`), rid);
      this.traffic.log.add({ target: 'aws', service: scope?.[1] ?? 'unknown', operation: 'Unknown', method, path: url.pathname, mutating: false, status: reply.status });
      return this.send(res, reply);
    }

    const resolved = svc.resolve(awsReq, this.state);
    const operation = resolved.operation;
    const mutating = isMutating(operation);
    const fault = this.traffic.pickFault('aws', svc.name, operation, mutating);
    await this.traffic.delay();
    const base = { target: 'aws' as const, service: svc.name, operation, method, path: url.pathname, mutating };

    if (fault === 'drop') {
      this.traffic.log.add({ ...base, fault });
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    if (fault && fault !== 'conflict') {
      reply = failure(svc.protocol, svc.xmlns, faultError(fault, svc), rid);
    } else {
      try {
        const refused = this.strict ? checkRequest(svc.name, operation, awsReq) : undefined;
        if (refused) throw refused;
        reply = success(svc, operation, resolved.run(), rid);
      } catch (e) {
        const err = e instanceof AwsError ? e : new AwsError(svc.protocol === 'ec2' ? 'InternalError' : 'InternalFailure', `sandbox error: ${(e as Error).message}`, 500);
        reply = failure(svc.protocol, svc.xmlns, err, rid);
      }
    }
    this.traffic.log.add({ ...base, status: reply.status, fault: fault === 'conflict' ? undefined : fault });
    this.onResponse?.({ service: svc.name, operation, status: reply.status, headers: reply.headers, body: typeof reply.body === 'string' ? reply.body : reply.body.toString('latin1') });
    this.send(res, reply);
  }

  private send(res: ServerResponse, reply: Reply): void {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  }
}
