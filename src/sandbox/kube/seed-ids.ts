// Stable, realistic-looking identifiers for seed objects (PV names, access points, volume
// ids): the same scenario always seeds the same names, so tests and demos can name them.
import { createHash } from 'node:crypto';

export function stable(seed: string, length: number, alphabet = '0123456789abcdef'): string {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

/** a UUID-shaped id, as in dynamically provisioned PV names (pvc-<uuid>) */
export function stableUuid(seed: string): string {
  const h = stable(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const pvName = (namespace: string, claim: string): string => `pvc-${stableUuid(`pv:${namespace}/${claim}`)}`;
export const accessPointId = (namespace: string, claim: string): string => `fsap-${stable(`fsap:${namespace}/${claim}`, 17)}`;
export const ebsVolumeId = (namespace: string, claim: string): string => `vol-${stable(`ebs:${namespace}/${claim}`, 17)}`;

/** worker node names of a cluster, as EKS names them */
export function nodeNames(side: string, n = 3): string[] {
  return Array.from({ length: n }, (_, i) => {
    const a = 1 + (i % 3);
    const b = Number.parseInt(stable(`node:${side}:${i}`, 2), 16);
    const c = 10 + Number.parseInt(stable(`node2:${side}:${i}`, 2), 16) % 240;
    return `ip-10-0-${a * 16 + (b % 16)}-${c}.us-west-2.compute.internal`;
  });
}
