/** STS GetCallerIdentity (query protocol), for the CLI: the stand-in's account. */
import { queryResponse } from '../xml.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function getCallerIdentity(accountId: string): string {
  return queryResponse(
    'GetCallerIdentity',
    NS,
    { Arn: `arn:aws:iam::${accountId}:user/standin`, UserId: 'AIDASTANDIN', Account: accountId },
    'standin',
  );
}
