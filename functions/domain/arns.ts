/** ARNs the product reads. */

/** Region, account id and identifier of an RDS cluster snapshot ARN (`arn:aws:rds:r:acct:cluster-snapshot:id`). */
export function parseRdsSnapshotArn(arn: string): { region: string; account: string; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):cluster-snapshot:(.+)$/.exec(arn);
  return m ? { region: m[1] as string, account: m[2] as string, id: m[3] as string } : undefined;
}
