/**
 * CloudFormation DescribeStacks (query protocol), for the CLI: the one stack the stand-in knows, with
 * its StateMachineArn output; any other name gets CloudFormation's own answer for a missing stack.
 */
import type { Model } from '../model.js';
import { queryError, queryResponse, text } from '../xml.js';

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export function describeStacks(
  params: Record<string, unknown>,
  stack: { stackName: string; stateMachineArn: string; drillStateMachineArn?: string; model: Pick<Model, 'region' | 'accountId'> },
): { status: number; xml: string } {
  const asked = text(params.StackName);
  if (asked !== stack.stackName) {
    return { status: 400, xml: queryError(NS, 400, 'ValidationError', `Stack with id ${asked} does not exist`, 'standin') };
  }
  const member = {
    StackName: stack.stackName,
    StackId: `arn:aws:cloudformation:${stack.model.region}:${stack.model.accountId}:stack/${stack.stackName}/standin`,
    CreationTime: '2026-01-01T00:00:00Z',
    StackStatus: 'UPDATE_COMPLETE',
    Outputs: [
      { member: { OutputKey: 'StateMachineArn', OutputValue: stack.stateMachineArn } },
      ...(stack.drillStateMachineArn ? [{ member: { OutputKey: 'DrillStateMachineArn', OutputValue: stack.drillStateMachineArn } }] : []),
    ],
  };
  return { status: 200, xml: queryResponse('DescribeStacks', NS, { Stacks: [{ member }] }, 'standin') };
}
