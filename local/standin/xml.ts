/**
 * The query protocol (RDS, STS, CloudFormation) as the stand-in speaks it: form-encoded requests in,
 * XML answers out. XML is built with fast-xml-parser's builder, which escapes every text value.
 */
import { XMLBuilder } from 'fast-xml-parser';

export type XmlValue = string | number | boolean | undefined | XmlNode | XmlNode[];
export interface XmlNode {
  [tag: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true, suppressEmptyNode: false });

/**
 * The builder's shape for a node: `{List: [{Member: a}, {Member: b}]}` (the product's way of writing
 * repeated children) becomes `{List: {Member: [a, b]}}`; undefined values are left out.
 */
function shape(node: XmlNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [tag, v] of Object.entries(node)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      const children: Record<string, unknown[]> = {};
      for (const child of v) for (const [k, c] of Object.entries(shape(child))) (children[k] ??= []).push(c);
      out[tag] = Object.keys(children).length > 0 ? children : '';
    } else if (typeof v === 'object') out[tag] = shape(v);
    else out[tag] = String(v);
  }
  return out;
}

/** An XML document: the declaration and one root element with its namespace. */
export function xmlDocument(root: string, namespace: string, body: XmlNode): string {
  const xml = builder.build({ [root]: { '@_xmlns': namespace, ...shape(body) } });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}

/** A query-protocol answer: `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata/></ActionResponse>`. */
export function queryResponse(action: string, namespace: string, result: XmlNode, requestId: string): string {
  const inner = Object.keys(result).length > 0 ? { [`${action}Result`]: result } : {};
  return xmlDocument(`${action}Response`, namespace, { ...inner, ResponseMetadata: { RequestId: requestId } });
}

/** A query-protocol error: Sender for 4xx, Receiver for 5xx. */
export function queryError(namespace: string, status: number, code: string, message: string, requestId: string): string {
  return xmlDocument('ErrorResponse', namespace, {
    Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
    RequestId: requestId,
  });
}

/** A query parameter as text ('' when absent or not a single value). */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Parses query parameters into nested values: `Tags.Tag.1.Key` -> Tags: [{Key}], `TagKeys.member.1` -> [..]. */

export function parseQuery(body: string): Record<string, unknown> {
  const params = new URLSearchParams(body);
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const parts = key.split('.');
    let cur: Record<string, unknown> = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const last = i === parts.length - 1;
      const next = parts[i + 1];
      const after = parts[i + 2];
      // list: Name.member.N or Name.<MemberName>.N
      if (next !== undefined && after !== undefined && /^\d+$/.test(after) && !/^\d+$/.test(next)) {
        cur[part] ??= [];
        const list = cur[part] as unknown[];
        const idx = Number(after) - 1;
        if (i + 3 >= parts.length) {
          list[idx] = value;
          break;
        }
        list[idx] ??= {};
        cur = list[idx] as Record<string, unknown>;
        i += 2;
        continue;
      }
      if (last) cur[part] = value;
      else {
        cur[part] ??= {};
        cur = cur[part] as Record<string, unknown>;
      }
    }
  }
  return root;
}
