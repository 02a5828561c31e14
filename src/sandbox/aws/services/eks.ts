// EKS over restJson1: DescribeCluster for both colours (OIDC issuer, VPC config, version).

import { restService } from '../service.js';
import { AwsError, epochSeconds } from '../wire.js';

export const eks = restService({ name: 'eks', signingName: 'eks', protocol: 'restJson' }, [
  {
    // `aws eks list-clusters`: names in creation order, maxResults 1..100 (default 100)
    method: 'GET',
    pattern: /^\/clusters\/?$/,
    operation: 'ListClusters',
    run: (_p, req, state) => {
      const max = Number(req.query.get('maxResults') ?? 100);
      if (!Number.isInteger(max) || max < 1 || max > 100) throw new AwsError('InvalidParameterException', 'maxResults must be between 1 and 100', 400);
      const names = [...state.eks.clusters.values()].sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1)).map((c) => c.name);
      const start = Number(req.query.get('nextToken') ?? 0) || 0;
      const page = names.slice(start, start + max);
      return { body: { clusters: page, nextToken: start + max < names.length ? String(start + max) : undefined } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/clusters\/(?<name>[^/]+)$/,
    operation: 'DescribeCluster',
    run: (p, _req, state) => {
      const c = state.eks.clusters.get(p.name);
      if (!c) throw new AwsError('ResourceNotFoundException', `No cluster found for name: ${p.name}.`, 404, { clusterName: p.name });
      return {
        body: {
          cluster: {
            name: c.name, arn: c.arn, createdAt: epochSeconds(c.createdAt), version: c.version, endpoint: c.endpoint, roleArn: c.roleArn,
            resourcesVpcConfig: {
              subnetIds: c.subnetIds, securityGroupIds: c.securityGroupIds, clusterSecurityGroupId: c.clusterSecurityGroupId, vpcId: c.vpcId,
              endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ['0.0.0.0/0'],
            },
            kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
            logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
            identity: { oidc: { issuer: c.oidcIssuer } },
            status: c.status,
            certificateAuthority: { data: c.certificateAuthority },
            platformVersion: c.platformVersion,
            tags: c.tags,
            accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
            upgradePolicy: { supportType: 'STANDARD' },
          },
        },
      };
    },
  },
]);
