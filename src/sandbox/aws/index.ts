// The sandbox's emulated AWS account: start an AwsEmulator, point SDK clients (or `aws
// --endpoint-url`) at the URL it returns, and read or change `emulator.state` directly.

export { AwsEmulator, isMutating, SERVICES, type AwsEmulatorOptions, type AwsReply } from './emulator.js';
export { seedAws, irsaTrustPolicy, CONTROLLER_ROLES } from './seed.js';
export * from './state.js';
export { AwsError } from './wire.js';
