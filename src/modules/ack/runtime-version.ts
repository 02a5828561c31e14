// Which ACK runtime a SageMaker controller release is built on. The deletion-policy annotation
// (`services.k8s.aws/deletion-policy`) only works with runtimes newer than 0.22.1; the cluster
// shows the controller's release (its image tag), not the runtime, so this table maps one to the
// other. Facts taken from each sagemaker-controller release's go.mod; releases newer than the
// table's last row are on newer runtimes still.
import semver from 'semver';

/** the first sagemaker-controller release that required each runtime (ascending) */
const SAGEMAKER_CONTROLLER_RUNTIME: [controller: string, runtime: string][] = [
  ['0.0.1', '0.2.1'],
  ['0.0.2', '0.6.0'],
  ['0.0.4', '0.13.0'],
  ['0.1.0', '0.13.2'],
  ['0.2.0', '0.15.1'],
  ['0.3.1', '0.18.4'],
  ['0.3.2', '0.19.1'],
  ['0.3.3', '0.19.2'],
  ['0.3.4', '0.19.3'],
  ['0.4.4', '0.20.0'],
  ['0.4.5', '0.20.1'],
  ['0.5.1', '0.21.0'],
  ['0.6.0', '0.23.0'],
  ['1.1.0', '0.24.0'],
  ['1.2.0', '0.24.1'],
  ['1.2.1', '0.25.0'],
  ['1.2.2', '0.26.0'],
  ['1.2.3', '0.27.1'],
  ['1.2.5', '0.28.0'],
  ['1.2.6', '0.29.2'],
  ['1.2.7', '0.30.0'],
  ['1.2.8', '0.32.0'],
  ['1.2.10', '0.33.0'],
  ['1.2.11', '0.34.0'],
  ['1.2.12', '0.36.0'],
  ['1.2.13', '0.38.0'],
  ['1.2.14', '0.41.0'],
  ['1.2.15', '0.42.0'],
  ['1.2.16', '0.44.0'],
  ['1.2.17', '0.45.0'],
  ['1.2.18', '0.46.1'],
  ['1.2.19', '0.47.0'],
  ['1.3.1', '0.48.0'],
  ['1.3.2', '0.49.0'],
  ['1.3.3', '0.50.0'],
  ['1.4.0', '0.51.0'],
  ['1.4.1', '0.52.0'],
];

/** the last runtime without the deletion-policy annotation */
export const LAST_RUNTIME_WITHOUT_DELETION_POLICY = '0.22.1';

/** the ACK runtime of a sagemaker-controller release, or undefined when the version is not one */
export function runtimeForSageMakerController(controllerVersion: string): string | undefined {
  const v = semver.coerce(controllerVersion)?.version;
  if (!v || !semver.valid(v)) return undefined;
  let runtime: string | undefined;
  for (const [controller, rt] of SAGEMAKER_CONTROLLER_RUNTIME) {
    if (semver.gte(v, controller)) runtime = rt;
  }
  return runtime;
}

/** whether a runtime honours `services.k8s.aws/deletion-policy: retain` */
export function supportsDeletionPolicy(runtime: string): boolean {
  const v = semver.coerce(runtime)?.version;
  if (!v) throw new Error(`not a version: ${runtime}`);
  return semver.gt(v, LAST_RUNTIME_WITHOUT_DELETION_POLICY);
}

/** "public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v1.2.1" -> { repo: ..., tag: "v1.2.1" } */
export function splitImage(image: string): { repo: string; tag?: string } {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon > slash) return { repo: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
  return { repo: noDigest };
}
