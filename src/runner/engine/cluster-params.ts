// Parameters a task type marks as naming a cluster ("x-kfup-cluster": true in its schema) must
// name a key of targets.clusters. Checked in validate and dry-run, so that `cluster: bleu` stops
// before anything runs, at its file:line:col, instead of at task 25 of a real upgrade. Only own
// keys count: `constructor` or `__proto__` is never a cluster.
import { UserError, didYouMean } from '../errors.js';
import { describePath, type Playbook, type TaskDef } from '../load/playbook.js';
import { positionOf, type YamlPath } from '../load/source.js';
import { isUnknown } from '../types.js';

type Schema = { 'x-kfup-cluster'?: boolean; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean; oneOf?: Schema[]; anyOf?: Schema[] };

/** whether a user-given name is an own key of a map (never an inherited one such as `constructor`) */
export const ownKey = (map: object | undefined, name: string): boolean => map !== undefined && map !== null && Object.prototype.hasOwnProperty.call(map, name);

/** every (path, value) of a value whose schema says it names a cluster */
function clusterValues(schema: unknown, value: unknown, path: YamlPath, out: { path: YamlPath; value: unknown }[]): void {
  const s = schema as Schema | undefined;
  if (!s || typeof s !== 'object' || value === undefined || value === null || isUnknown(value)) return;
  if (s['x-kfup-cluster']) {
    out.push({ path, value });
    return;
  }
  for (const alt of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) clusterValues(alt, value, path, out);
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => clusterValues(s.items, v, [...path, i], out));
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = ownKey(s.properties, k) ? s.properties![k] : typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
      clusterValues(sub, v, [...path, k], out);
    }
  }
}

/** the clusters a task's parameters name (its schema's cluster parameters), each once */
export function clustersNamed(schema: unknown, value: unknown): string[] {
  const found: { path: YamlPath; value: unknown }[] = [];
  clusterValues(schema, value, [], found);
  return [...new Set(found.map((f) => f.value).filter((v): v is string => typeof v === 'string'))];
}

/** an error for each cluster-naming parameter whose value is not a key of targets.clusters */
export function checkClusterParams(pb: Playbook, task: TaskDef, schema: unknown, value: unknown, clusters: Record<string, unknown> | undefined): UserError[] {
  const found: { path: YamlPath; value: unknown }[] = [];
  clusterValues(schema, value, [], found);
  const known = Object.keys(clusters ?? {});
  const errors: UserError[] = [];
  for (const f of found) {
    if (typeof f.value !== 'string' || ownKey(clusters, f.value)) continue;
    const hint = didYouMean(f.value, known) ?? (known.length ? `targets.clusters has: ${known.join(', ')}` : 'add it under targets.clusters with its kubeconfig and context');
    errors.push(
      new UserError(`${task.type} parameter ${describePath(f.path)}: unknown cluster "${f.value}"`, {
        pos: positionOf(pb.src, [...task.path, task.type!, ...f.path]),
        hint,
      }),
    );
  }
  return errors;
}
