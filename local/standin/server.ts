/**
 * The stand-in's HTTP server on 127.0.0.1 (ephemeral port). One port serves both services; a request
 * is routed by the service in its SigV4 credential scope, as AWS routes by host name.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.js';
import { Model } from './model.js';
import { LATENCY_HEADER, Pace } from './pace.js';
import { getMetricData } from './services/cloudwatch.js';
import { ELASTIC_STATUS, handleElastic, routeElastic } from './services/elastic.js';
import { handleRds, NS, RDS_ERRORS } from './services/rds.js';
import { parseQuery, queryError, queryResponse, text } from './xml.js';
import type { World } from './world.js';

export interface StandIn {
  model: Model;
  /** Latency and throttling in virtual time, when the world's `pace` turns them on. */
  pace?: Pace;
  url: string;
  close(): Promise<void>;
}

/**
 * Holds an answer for `ms` (a latency fault), or until the client goes away: then the request is dropped,
 * as a server drops a request whose connection closed, and nothing keeps the process alive.
 */
function hold(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', gone);
      resolve(true);
    }, ms);
    const gone = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', gone);
  });
}
let requestSeq = 0;
const PACED_PURGE_MS = 60_000;

function serviceOf(req: IncomingMessage): string {
  const auth = String(req.headers.authorization ?? '');
  const m = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  return m?.[1] ?? '';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': `standin-${++requestSeq}`,
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': `standin-${++requestSeq}`, ...headers });
  res.end(xml);
}

export type ExtraHandler = (service: string, req: IncomingMessage, body: string, res: ServerResponse) => Promise<boolean>;

/** Starts the stand-in on 127.0.0.1 (`port` 0: any free port). */
export async function startStandIn(world: World, extra?: ExtraHandler, port = 0): Promise<StandIn> {
  const model = new Model(world);
  const pace = world.pace ? new Pace(world.pace, model.nowMs) : undefined;
  let purgedAt = Number.NEGATIVE_INFINITY;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const service = serviceOf(req);
    const body = await readBody(req);
    // A purge scans the account: a paced world (tens of thousands of calls) purges at most once a virtual
    // minute, so what finished deleting disappears within a minute of its time instead of at once.
    if (!pace || model.nowMs - purgedAt >= PACED_PURGE_MS || model.nowMs < purgedAt) {
      model.purge();
      purgedAt = model.nowMs;
    }
    if (extra && (await extra(service, req, body, res))) return;
    const url = new URL(req.url ?? '/', 'http://standin');
    if (service === 'rds') {
      const params = parseQuery(body);
      const action = text(params.Action);
      const op = action === 'ListTagsForResource' ? 'ListTagsForResource.rds' : action;
      model.count(op);
      // Paced: the call takes a token of the RDS family's bucket (or is throttled) and says how long it took.
      const admitted = pace?.admit('rds', op, model.nowMs);
      const ph: Record<string, string> = admitted ? { [LATENCY_HEADER]: String(admitted.latencyMs) } : {};
      if (admitted?.throttled) {
        return sendXml(res, 400, queryError(NS, 400, 'Throttling', 'Rate exceeded', `standin-${++requestSeq}`), ph);
      }
      try {
        const fault = model.takeFault(op, body);
        if (fault?.latencyMs && !(await hold(res, fault.latencyMs))) return model.abandon(op);
        if (fault?.reset) return void req.socket.destroy();
        if (fault?.error) throw new ApiError(fault.error, RDS_ERRORS[fault.error] ?? 400, `injected fault ${fault.error}`);
        const result = handleRds(model, action, params);
        if (fault?.dropResponse) return void req.socket.destroy();
        sendXml(res, 200, queryResponse(action, NS, result, `standin-${++requestSeq}`), ph);
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError('InternalFailure', 500, (err as Error).message);
        sendXml(res, e.status, queryError(NS, e.status, e.code, e.message, `standin-${++requestSeq}`), ph);
      }
      return;
    }
    if (service === 'docdb-elastic') {
      const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body: parsed };
      const route = routeElastic(request);
      if (!route)
        return sendJson(
          res,
          404,
          { message: `no route for ${req.method} ${url.pathname}` },
          { 'x-amzn-errortype': 'ResourceNotFoundException' },
        );
      model.count(route.op);
      // Paced: the call takes a token of docdb-elastic's bucket (or is throttled) and says how long it took.
      const admitted = pace?.admit('docdb-elastic', route.op, model.nowMs);
      const ph: Record<string, string> = admitted ? { [LATENCY_HEADER]: String(admitted.latencyMs) } : {};
      if (admitted?.throttled) {
        // The modelled ThrottlingException: 429, its type in x-amzn-errortype, a JSON body with the message.
        return sendJson(res, 429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'ThrottlingException', ...ph });
      }
      try {
        const fault = model.takeFault(route.op, `${decodeURIComponent(url.pathname)} ${body}`);
        if (fault?.latencyMs && !(await hold(res, fault.latencyMs))) return model.abandon(route.op);
        if (fault?.reset) return void req.socket.destroy();
        if (fault?.error) {
          const extra = fault.retryAfterSeconds !== undefined ? { retryAfter: fault.retryAfterSeconds } : {};
          throw new ApiError(fault.error, ELASTIC_STATUS[fault.error] ?? 400, `injected fault ${fault.error}`, extra);
        }
        const result = handleElastic(model, route.op, route.param, request);
        if (fault?.dropResponse) return void req.socket.destroy();
        sendJson(res, 200, result, ph);
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError('InternalServerException', 500, (err as Error).message);
        const { retryAfter, ...extra } = e.extra;
        const headers: Record<string, string> = { 'x-amzn-errortype': e.code, ...ph };
        if (e.status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
        sendJson(res, e.status, { message: e.message, ...extra }, headers);
      }
      return;
    }
    if (service === 'monitoring') {
      // CloudWatch (JSON 1.0): the product reads its own metrics back (services/cloudwatch.ts).
      const action = String(req.headers['x-amz-target'] ?? '').replace('GraniteServiceVersion20100801.', '');
      model.count(action);
      if (action !== 'GetMetricData') return sendJson(res, 400, { __type: 'UnknownOperationException', message: `unsupported ${action}` });
      const answer = getMetricData(model, body ? (JSON.parse(body) as Record<string, unknown>) : {});
      return sendJson(res, answer.status, answer.body, { 'content-type': 'application/x-amz-json-1.0' });
    }
    sendJson(res, 400, { message: `unknown service "${service}"` }, { 'x-amzn-errortype': 'UnknownServiceException' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(err) }, { 'x-amzn-errortype': 'InternalServerException' });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    model,
    ...(pace ? { pace } : {}),
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
