// The sandbox's front door as AWS's own: every request is read into its operation's input shape
// (official models, aws-models/) and refused, before any handler runs, with the error the real
// service answers a malformed request with, in its own wire protocol.
import type { AwsRequest } from '../service.js';
import { AwsError } from '../wire.js';
import { decodeRequest } from './decode-request.js';
import { serviceModel } from './load.js';
import { validateShape, validationMessage, type Violation } from './validate.js';

/**
 * The error codes each service answers a request that breaks its model with:
 *  - IAM, STS, ELBv2, RDS (awsQuery): `ValidationError`, 400, AWS's common query errors
 *    (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html,
 *    https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/CommonErrors.html,
 *    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html).
 *  - EC2: `MissingParameter` for an absent required parameter, `InvalidParameterValue` for a bad
 *    value, `UnknownParameter` for one it does not know
 *    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 *  - Route 53: `InvalidInput`, 400, listed in each operation's errors in the model
 *    (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
 *  - AWS Backup: `MissingParameterValueException` and `InvalidParameterValueException`, both in
 *    the model's errors (a bad vault name is refused with the latter, as in
 *    https://github.com/aws/aws-cdk/issues/8685).
 *  - EKS, EFS, SageMaker, Secrets Manager, FSx (JSON bodies): `ValidationException`, 400, and
 *    `SerializationException` for a member of the wrong JSON type, as AWS's JSON services answer.
 */
interface Codes {
  required: string;
  invalid: string;
  type?: string;
  unknown?: string;
  /** members an error body of this service carries beside the message */
  extra?: (code: string, message: string) => Record<string, unknown>;
}

const QUERY: Codes = { required: 'ValidationError', invalid: 'ValidationError' };
const JSON_SERVICE: Codes = { required: 'ValidationException', invalid: 'ValidationException', type: 'SerializationException' };

const CODES: Record<string, Codes> = {
  iam: QUERY,
  sts: QUERY,
  elbv2: QUERY,
  rds: QUERY,
  ec2: { required: 'MissingParameter', invalid: 'InvalidParameterValue', unknown: 'UnknownParameter' },
  route53: { required: 'InvalidInput', invalid: 'InvalidInput' },
  backup: {
    required: 'MissingParameterValueException',
    invalid: 'InvalidParameterValueException',
    type: 'SerializationException',
    extra: (code, message) => ({ Code: code, Message: message, Type: 'Client' }),
  },
  eks: JSON_SERVICE,
  efs: { ...JSON_SERVICE, extra: (code) => ({ ErrorCode: code }) },
  sagemaker: JSON_SERVICE,
  secretsmanager: JSON_SERVICE,
  fsx: JSON_SERVICE,
};

/** EC2 words its parameter errors itself, naming the parameter as sent */
function ec2Error(v: Violation, codes: Codes): AwsError {
  const name = v.wireName ?? v.path;
  if (v.kind === 'required') return new AwsError(codes.required, `The request must contain the parameter ${name}`);
  return new AwsError(codes.invalid, `Value (${v.value ?? ''}) for parameter ${name} is invalid. ${v.constraint}`);
}

/** the error the service answers this request with, or undefined when the request is well formed */
export function checkRequest(service: string, operation: string, req: AwsRequest): AwsError | undefined {
  const model = serviceModel(service);
  const op = model?.operations[operation];
  const codes = CODES[service];
  if (!model || !op || !codes || !op.input) return undefined;
  const decoded = decodeRequest(model, op, req);
  if (!decoded) return undefined;
  if (codes.unknown && decoded.unknown.length) {
    return new AwsError(codes.unknown, `The parameter ${decoded.unknown[0]} is not recognized`);
  }
  // body scalars are JSON values in the JSON protocols; URI labels, query strings and headers are text
  const shape = model.shapes[op.input.shape];
  const textMembers = new Set(Object.entries(shape.members ?? {}).filter(([, m]) => m.location).map(([k]) => k));
  const violations = validateShape(model, op.input.shape, decoded.value, { text: !decoded.jsonBody, constraints: true, textMembers });
  if (!violations.length) return undefined;
  if (service === 'ec2') return ec2Error(violations[0], codes);
  const typeErr = violations.find((v) => v.kind === 'type');
  if (typeErr && codes.type) {
    const message = `${typeErr.value ?? 'null'} at '${typeErr.path}' cannot be read: ${typeErr.constraint}`;
    return new AwsError(codes.type, message, 400, codes.extra?.(codes.type, message));
  }
  const code = violations.every((v) => v.kind === 'required') ? codes.required : codes.invalid;
  const message = validationMessage(violations);
  return new AwsError(code, message, 400, codes.extra?.(code, message));
}

