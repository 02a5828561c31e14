// The kit: the only thing task types import from outside their own file and folder. It gathers
// what the runner offers them (the contract's types, errors, templates, durations, waiting) and
// the shared helpers for AWS and Kubernetes, so that a task type never reaches into the runner
// and the runner can change its insides without touching a task type.
export * from './kube/list.js';
export * from './kube/pool.js';
export * from './kube/raw.js';
export * from './kube/retry.js';
export * from './kube/watch.js';
// kube/retry's isNotFound is shadowed by the AWS one below: the Kubernetes one under its own name
export { isNotFound as isKubeNotFound } from './kube/retry.js';
export { defineTask, declaredOutputs, type DefinedTask, type TaskSpec } from './define.js';
export { TaskError, type TaskErrorOptions } from './task-error.js';
export { poll, type PollOptions, type PollRound } from './poll.js';
export { jsonEqual } from './json.js';
export { allPages, awsErrorKind, awsErrorName, isConflict, isNotFound, isThrottled, unlessNotFound, type AwsErrorKind } from './aws.js';
export { isMissing } from './aws-missing.js';
export { renderString, isTrue } from '../../runner/template/template.js';
export { parseDuration, formatDuration } from '../../runner/load/duration.js';
export { packagePath } from '../../runner/load/package-root.js';
export { sleep, abortError, abortable } from '../../runner/engine/abort.js';
export { UserError, MissingProgramError, didYouMean } from '../../runner/errors.js';
export {
  Unknown,
  isUnknown,
  type Applied,
  type Change,
  type Context,
  type ExecOptions,
  type ExecResult,
  type Known,
  type KubeClients,
  type Outputs,
  type Plan,
  type RevertPlan,
  type TaskContext,
  type TaskType,
} from '../../runner/types.js';
export * from './kube/owned-fields.js';
export * from './kube/guarded-write.js';
export * from './after-rollback.js';
export { hclString, hclValue, isHclIdentifier, type TfValue } from './hcl-value.js';
