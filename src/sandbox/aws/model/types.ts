// The parts of an AWS service model (botocore's service-2.json, as trimmed into aws-models/ by
// scripts/trim-aws-models.js) that the sandbox reads to judge requests and responses.

export interface MemberRef {
  shape: string;
  /** where a REST request carries the member: uri, querystring, header, headers, statusCode */
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  /** its wire name (a URI label, query key, header, or XML/query element name) */
  locationName?: string;
  /** EC2 protocol: the query key */
  queryName?: string;
  flattened?: boolean;
  xmlAttribute?: boolean;
  idempotencyToken?: boolean;
  timestampFormat?: string;
  jsonvalue?: boolean;
}

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp' | 'blob';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  flattened?: boolean;
  locationName?: string;
  payload?: string;
  sensitive?: boolean;
  timestampFormat?: string;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string; locationName?: string; xmlNamespace?: { uri: string } };
  output?: { shape: string; resultWrapper?: string; locationName?: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  botocoreVersion: string;
  metadata: { protocol: string; apiVersion: string; uid: string; xmlNamespace?: string; targetPrefix?: string; timestampFormat?: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}
