/**
 * The control plane the CLI talks to: a minimal Step Functions endpoint (JSON 1.0 protocol:
 * StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions) backed by the local
 * interpreter, and, through sts.ts and cloudformation.ts, the caller's identity and the stack's
 * StateMachineArn output, so the CLI runs end to end against the stand-in through the SDK's endpoint settings.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PolicyFile } from '../../../functions/domain/policy.js';
import { DRILL_DEFINITION_PATH, loadDefinition, type RunResult, runWorkflow } from '../../runner.js';
import type { ExtraHandler, StandIn } from '../server.js';
import { parseQuery } from '../xml.js';
import { describeStacks } from './cloudformation.js';
import { getCallerIdentity } from './sts.js';

interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  stateEnteredEventDetails?: { name: string; input: string };
  stateExitedEventDetails?: { name: string; output: string };
  executionSucceededEventDetails?: { output: string };
  executionFailedEventDetails?: { error: string; cause: string };
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

export interface ControlPlaneOptions {
  policyFile: PolicyFile;
  stackName: string;
  /** Set once the stand-in is up (the executions run against it). */
  standIn: () => StandIn;
}

const send = (res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.0') => {
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': 'standin-sfn' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const sfnError = (res: ServerResponse, type: string, message: string) =>
  send(res, 400, { __type: `com.amazonaws.swf.service.v2.model#${type}`, message });

export function controlPlane(
  opts: ControlPlaneOptions,
): ExtraHandler & { executions: Map<string, Execution>; stateMachineArn: () => string; done: () => Promise<void> } {
  const executions = new Map<string, Execution>();
  const running = new Set<Promise<unknown>>();
  let seq = 0;
  const arnOf = () => {
    const m = opts.standIn().model;
    return `arn:aws:states:${m.region}:${m.accountId}:stateMachine:${opts.stackName}`;
  };
  /** The restore drill workflow, beside the backup one (the stack's DrillStateMachineArn output). */
  const drillArnOf = () => `${arnOf()}-drills`;

  const start = (body: { stateMachineArn?: string; name?: string; input?: string }, res: ServerResponse) => {
    const drill = body.stateMachineArn === drillArnOf();
    if (body.stateMachineArn !== arnOf() && !drill)
      return sfnError(res, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    let input: unknown;
    try {
      input = JSON.parse(body.input ?? '{}');
    } catch {
      return sfnError(res, 'InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const standIn = opts.standIn();
    const name = body.name ?? `cli-${++seq}-${standIn.model.nowMs}`;
    const m = standIn.model;
    const executionArn = `arn:aws:states:${m.region}:${m.accountId}:execution:${opts.stackName}${drill ? '-drills' : ''}:${name}`;
    if (executions.has(executionArn)) return sfnError(res, 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const exec: Execution = {
      executionArn,
      stateMachineArn: drill ? drillArnOf() : arnOf(),
      name,
      input: body.input ?? '{}',
      status: 'RUNNING',
      startDate: m.nowMs / 1000,
      history: [],
    };
    executions.set(executionArn, exec);
    const definitionPath = drill ? DRILL_DEFINITION_PATH : undefined;
    const { definition } = loadDefinition(m.region, m.accountId, definitionPath);
    const typeOf = (state?: string) => (state ? (definition.States[state]?.Type ?? 'Task') : 'Task');
    const add = (e: Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>) => {
      const id = exec.history.length + 1;
      exec.history.push({ ...e, id, previousEventId: id - 1, timestamp: standIn.model.nowMs / 1000 });
    };
    add({ type: 'ExecutionStarted' });
    const p = runWorkflow({
      standIn,
      policyFile: opts.policyFile,
      input,
      executionName: name,
      ...(definitionPath ? { definitionPath } : {}),
      onEvent: (e) => {
        if (e.type === 'StateEntered' && e.state)
          add({ type: `${typeOf(e.state)}StateEntered`, stateEnteredEventDetails: { name: e.state, input: '{}' } });
        if (e.type === 'StateExited' && e.state) {
          add({
            type: `${typeOf(e.state)}StateExited`,
            stateExitedEventDetails: { name: e.state, output: JSON.stringify(e.output ?? null) },
          });
        }
      },
    }).then((r: RunResult) => {
      exec.stopDate = standIn.model.nowMs / 1000;
      if (r.status === 'SUCCEEDED') {
        exec.status = 'SUCCEEDED';
        exec.output = JSON.stringify(r.output);
        add({ type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: exec.output } });
      } else {
        exec.status = 'FAILED';
        exec.error = r.error;
        exec.cause = r.cause;
        add({ type: 'ExecutionFailed', executionFailedEventDetails: { error: r.error ?? '', cause: r.cause ?? '' } });
      }
    });
    running.add(p);
    void p.finally(() => running.delete(p));
    send(res, 200, { executionArn, startDate: exec.startDate });
  };

  // async like the other services' routers, which await; this one answers at once
  // eslint-disable-next-line @typescript-eslint/require-await
  const handler = async (service: string, req: IncomingMessage, raw: string, res: ServerResponse): Promise<boolean> => {
    if (service === 'states') {
      const action = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      opts.standIn().model.count(action);
      const exec = typeof body.executionArn === 'string' ? executions.get(body.executionArn) : undefined;
      if ((action === 'DescribeExecution' || action === 'GetExecutionHistory') && !exec) {
        sfnError(res, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
        return true;
      }
      switch (action) {
        case 'StartExecution':
          start(body, res);
          return true;
        case 'DescribeExecution': {
          const { history: _h, ...rest } = exec as Execution;
          send(res, 200, rest);
          return true;
        }
        case 'GetExecutionHistory': {
          const start = Number(body.nextToken ?? 0);
          const max = Number(body.maxResults ?? 100) || 100;
          const history = (exec as Execution).history;
          const events = body.reverseOrder ? [...history].reverse() : history;
          const slice = events.slice(start, start + max);
          send(res, 200, { events: slice, ...(start + max < events.length ? { nextToken: String(start + max) } : {}) });
          return true;
        }
        case 'ListExecutions': {
          const list = [...executions.values()]
            .filter((e) => e.stateMachineArn === body.stateMachineArn)
            .sort((a, b) => b.startDate - a.startDate)
            .slice(0, Number(body.maxResults ?? 100) || 100)
            .map(({ history: _h, input: _i, output: _o, error: _e, cause: _c, ...rest }) => rest);
          send(res, 200, { executions: list });
          return true;
        }
        default:
          sfnError(res, 'UnknownOperationException', `unsupported action ${action}`);
          return true;
      }
    }
    if (service === 'sts') {
      send(res, 200, getCallerIdentity(opts.standIn().model.accountId), 'text/xml');
      return true;
    }
    if (service === 'cloudformation') {
      const answer = describeStacks(parseQuery(raw), {
        stackName: opts.stackName,
        stateMachineArn: arnOf(),
        drillStateMachineArn: drillArnOf(),
        model: opts.standIn().model,
      });
      send(res, answer.status, answer.xml, 'text/xml');
      return true;
    }
    return false;
  };
  return Object.assign(handler, {
    executions,
    stateMachineArn: arnOf,
    done: async () => {
      await Promise.all([...running]);
    },
  });
}
