// The configure_kubectl output of the upgrade module (outputs.tf on the Kubeflow on AWS blue/green
// branch: "aws eks --region R update-kubeconfig --name N"), which its Makefile pipes to bash: kfup
// reads the region and the name out of it and refuses anything else (issue 13, point 1).
import { describe, expect, it } from 'vitest';
import { parseConfigureKubectl, updateKubeconfigArgs } from '../../src/modules/terraform/kubeconfig.js';

describe('configure_kubectl', () => {
  it('gives the region and the cluster name, in either flag order and --flag=value form', () => {
    expect(parseConfigureKubectl('aws eks --region us-west-2 update-kubeconfig --name kubeflow-green', 'configure_kubectl')).toEqual({ region: 'us-west-2', name: 'kubeflow-green' });
    expect(parseConfigureKubectl('aws eks update-kubeconfig --name=kf --region=eu-west-1', 'o')).toEqual({ region: 'eu-west-1', name: 'kf' });
    expect(updateKubeconfigArgs({ region: 'us-west-2', name: 'kf' }, 'green', '/k')).toEqual(['eks', 'update-kubeconfig', '--region', 'us-west-2', '--name', 'kf', '--alias', 'green', '--kubeconfig', '/k']);
  });

  it('refuses shell syntax, other commands and other flags', () => {
    for (const bad of ['aws eks --region r update-kubeconfig --name n; rm -rf ~', 'aws eks update-kubeconfig --name $(id)', 'kubectl config use-context x', 'aws eks update-kubeconfig --name n --role-arn arn:aws:iam::1:role/x', 'aws eks update-kubeconfig --region r']) {
      expect(() => parseConfigureKubectl(bad, 'configure_kubectl'), bad).toThrow(/not an `aws eks update-kubeconfig` command kfup can run/);
    }
  });
});
