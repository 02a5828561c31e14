// The AWS service models the sandbox ships (aws-models/, trimmed from the official botocore
// models in ../shared/fixtures/aws-models by scripts/trim-aws-models.js) and the machinery that
// reads them: the shipped copy is what the script derives from ../shared, every operation the
// emulator answers has its model, REST routes agree with the models' request URIs, Java-style
// patterns compile, and the response check catches an answer outside the model.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../src/sandbox/aws/index.js';
import { serviceModel } from '../../src/sandbox/aws/model/load.js';
import { modelPattern, skippedPatterns } from '../../src/sandbox/aws/model/pattern.js';
import { checkResponse } from '../../src/sandbox/aws/model/response-check.js';
import type { AwsState } from '../../src/sandbox/aws/state.js';
import { repoRoot } from '../helpers/cli.js';

interface TrimScript {
  deriveAll: () => Record<string, unknown>;
  readTrimmed: (service: string) => unknown;
  readOperations: () => Record<string, { model: string; operations: string[] }>;
  sharedModelsDir: string;
}
const script = (await import(pathToFileURL(join(repoRoot, 'scripts/trim-aws-models.js')).href)) as TrimScript;
const sharedPresent = existsSync(join(script.sharedModelsDir, 'BOTOCORE_VERSION'));
if (!sharedPresent) console.warn('../shared/fixtures/aws-models is absent: skipping the check of aws-models/ against it');

describe('the shipped models', () => {
  it.skipIf(!sharedPresent)('equal what scripts/trim-aws-models.js derives from ../shared (run it after a botocore update)', () => {
    const derived = script.deriveAll();
    for (const [service, model] of Object.entries(derived)) expect(script.readTrimmed(service), service).toEqual(model);
  });

  it('cover every operation the emulator answers, and only services it emulates', () => {
    const listed = script.readOperations();
    expect(Object.keys(listed).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const svc of SERVICES) {
      expect(listed[svc.name].operations.sort(), svc.name).toEqual([...svc.operations].sort());
      const model = serviceModel(svc.name);
      for (const op of svc.operations) expect(model?.operations[op], `${svc.name} ${op}`).toBeDefined();
    }
  });

  it("REST routes answer each operation at its model's method and request URI", () => {
    for (const svc of SERVICES.filter((s) => s.protocol === 'restJson' || s.protocol === 'restXml')) {
      const model = serviceModel(svc.name)!;
      for (const op of svc.operations) {
        const { method, requestUri } = model.operations[op].http;
        const path = requestUri.split('?')[0].replace(/\{[^}]+\}/g, 'label-1');
        const resolved = svc.resolve({ method, path, query: new URLSearchParams(), headers: {}, body: '' }, {} as AwsState);
        expect(resolved.operation, `${svc.name} ${method} ${path}`).toBe(op);
      }
    }
  });

  it('every pattern in them compiles (none skipped)', () => {
    const failed: string[] = [];
    for (const svc of SERVICES) {
      for (const [name, shape] of Object.entries(serviceModel(svc.name)!.shapes)) {
        if (shape.pattern !== undefined && !modelPattern(shape.pattern)) failed.push(`${svc.name} ${name}: ${shape.pattern}`);
      }
    }
    expect(failed).toEqual([]);
  });
});

describe('Java-style model patterns', () => {
  it("match the whole value, as Java's matches() does (IAM roleNameType)", () => {
    const re = modelPattern('[\\w+=,.@-]+')!;
    expect(re.test('kf-team-000-irsa')).toBe(true);
    expect(re.test('kf team')).toBe(false);
  });
  it('accept Java escapes of plain characters (AWS Backup BackupVaultName: \\_ inside a class)', () => {
    const re = modelPattern('^[a-zA-Z0-9\\-\\_]{2,50}$')!;
    expect(re.test('kubeflow_upgrade-vault')).toBe(true);
    expect(re.test('v')).toBe(false);
    expect(re.test('bad vault')).toBe(false);
  });
  it('read \\p{L} as a Unicode letter class (IAM tagKeyType)', () => {
    const re = modelPattern('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+')!;
    expect(re.test('Équipe 1')).toBe(true);
    expect(re.test('a;b')).toBe(false);
  });
  it('skip a pattern JavaScript cannot compile, and record it', () => {
    expect(modelPattern('[a-z')).toBeNull();
    expect(skippedPatterns()).toContain('[a-z');
  });
});

describe('the response check (run by the test helpers on every answer)', () => {
  it('finds a missing required member, a wrong type and a member the model lacks in an XML answer', () => {
    const problems = checkResponse({
      service: 'iam',
      operation: 'GetRole',
      status: 200,
      headers: {},
      body: '<GetRoleResponse><GetRoleResult><Role><Path>/</Path><RoleName>r</RoleName><RoleId>AROA1</RoleId><Arn>arn:aws:iam::1:role/r</Arn><MaxSessionDuration>1h</MaxSessionDuration><Colour>blue</Colour></Role></GetRoleResult></GetRoleResponse>',
    });
    expect(problems).toEqual([
      "iam GetRole: null at 'role.createDate': Member must not be null",
      "iam GetRole: '1h' at 'role.maxSessionDuration': Member must be an integer",
      "iam GetRole: 'Role.Colour' is not a member of GetRoleResponse in the model",
    ]);
  });
  it('finds a value outside an enum and a timestamp that is not epoch seconds in a JSON answer', () => {
    const problems = checkResponse({
      service: 'sagemaker',
      operation: 'ListEndpoints',
      status: 200,
      headers: {},
      body: JSON.stringify({ Endpoints: [{ EndpointName: 'e', EndpointArn: 'arn:aws:sagemaker:us-west-2:1:endpoint/e', CreationTime: '2026-01-01', LastModifiedTime: 1, EndpointStatus: 'Ready' }] }),
    });
    expect(problems).toEqual([
      "sagemaker ListEndpoints: '2026-01-01' at 'endpoints.1.member.creationTime': Member must be a timestamp",
      expect.stringMatching(/^sagemaker ListEndpoints: 'Ready' at 'endpoints\.1\.member\.endpointStatus': Member must satisfy enum value set: \[OutOfService, Creating/),
    ]);
  });
  it('leaves error answers alone (their shapes are the errors list, not the output)', () => {
    expect(checkResponse({ service: 'iam', operation: 'GetRole', status: 404, headers: {}, body: '<ErrorResponse/>' })).toEqual([]);
  });
});
