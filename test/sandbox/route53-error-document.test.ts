// Route 53's InvalidChangeBatch as it goes on the wire today, read by the two real clients.
//
// The API reference still shows a document of its own for this error
// (<InvalidChangeBatch><Messages><Message>..</Message></Messages></InvalidChangeBatch>, the model's
// InvalidChangeBatch shape with its `messages` list), but Route 53 has since answered with the
// rest-xml protocol's standard document: <ErrorResponse><Error><Type>Sender</Type>
// <Code>InvalidChangeBatch</Code><Message>[problem, problem]</Message></Error><RequestId/>
// </ErrorResponse>, the problems joined in one bracketed message. Sources: aws/aws-sdk-kotlin
// issue 1433 and pull request 1435 ("Route53 no longer returns non-standard InvalidChangeBatch
// errors", October 2024, which removed the Kotlin SDK's parser for the old document), and the
// clients themselves: botocore's RestXMLParser._parse_error_from_body and the JavaScript SDK's
// loadRestXmlErrorCode read the code only from <Error><Code> (or a top-level <Code>), so the old
// document reaches them as an error without a code (the last test shows it). The sandbox sends
// the standard document, as the service does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEmulator, type AwsReply } from '../../src/sandbox/aws/emulator.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { Traffic } from '../../src/sandbox/traffic.js';
import { awsModelChecker } from '../helpers/aws-model-check.js';
import { awsCliError, awsPresent } from './aws-cli-helpers.js';
import { accepted, credentials, refusedWith } from './aws-helpers.js';

const scenario = makeScenario({ profiles: 1, notebooks: 0 });
const replies: AwsReply[] = [];
const checker = awsModelChecker();
let emulator: AwsEmulator;
let endpoint = '';

beforeAll(async () => {
  emulator = new AwsEmulator({ traffic: new Traffic(), scenario, onResponse: (r) => (replies.push(r), checker.onResponse(r)) });
  endpoint = await emulator.start();
});
afterAll(async () => {
  await emulator?.stop();
  checker.assertClean();
});

const zoneId = scenario.hostedZone.id;
/** a batch with two problems: a CREATE of a record that exists, and a DELETE of one that does not */
const batch = {
  Changes: [
    { Action: 'CREATE' as const, ResourceRecordSet: { Name: scenario.green.platformDomain, Type: 'CNAME' as const, TTL: 300, ResourceRecords: [{ Value: scenario.green.ingressHost }] } },
    { Action: 'DELETE' as const, ResourceRecordSet: { Name: `gone.${scenario.subdomain}`, Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: '10.0.0.2' }] } },
  ],
};
const problems =
  `[Tried to create resource record set [name='${scenario.green.platformDomain}.', type='CNAME'] but it already exists, ` +
  `Tried to delete resource record set [name='gone.${scenario.subdomain}.', type='A'] but it was not found]`;

describe('Route 53 InvalidChangeBatch on the wire (ChangeResourceRecordSets errors)', () => {
  it('is the rest-xml ErrorResponse document with Code InvalidChangeBatch and every problem in one bracketed Message', async () => {
    const r53 = new Route53Client({ endpoint, region: scenario.region, credentials, maxAttempts: 1 });
    const mark = replies.length;
    const err = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: batch })).then(accepted, refusedWith);
    // the SDK: the modelled exception by name, the message as sent
    expect(err.name).toBe('InvalidChangeBatch');
    expect(err.message).toBe(problems);
    expect(err.$metadata.httpStatusCode).toBe(400);
    const reply = replies.slice(mark).find((x) => x.operation === 'ChangeResourceRecordSets')!;
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(
      /^<ErrorResponse xmlns="https:\/\/route53\.amazonaws\.com\/doc\/2013-04-01\/"><Error><Type>Sender<\/Type><Code>InvalidChangeBatch<\/Code><Message>\[.*\]<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/,
    );
    // all or nothing: the record that exists is unchanged
    expect(emulator.state.route53.record(zoneId, scenario.green.platformDomain, 'CNAME')?.ResourceRecords).toEqual([{ Value: scenario.green.ingressHost }]);
  });

  it.skipIf(!awsPresent)('the aws CLI (botocore) prints the code and the bracketed message (skipped when aws is absent)', async () => {
    const err = await awsCliError(endpoint, scenario.region, 'route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', JSON.stringify(batch));
    expect(err).toContain(`An error occurred (InvalidChangeBatch) when calling the ChangeResourceRecordSets operation: ${problems}`);
  });

  it("the API reference's older <InvalidChangeBatch><Messages> document is one the SDK cannot name: why the sandbox does not send it", async () => {
    const old = `<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Messages><Message>${problems}</Message></Messages><RequestId>r-1</RequestId></InvalidChangeBatch>`;
    const server: Server = createServer((_req, res) => res.writeHead(400, { 'content-type': 'text/xml' }).end(old));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r53 = new Route53Client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: scenario.region, credentials, maxAttempts: 1 });
      const err = await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: batch })).then(accepted, refusedWith);
      expect(err.name).not.toBe('InvalidChangeBatch');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
