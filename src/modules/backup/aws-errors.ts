// SDK v3 errors carry the service's error code as their name.
export const awsErrorName = (e: unknown): string => String((e as { name?: string } | undefined)?.name ?? '');

export const isNotFound = (e: unknown): boolean => /NotFound|NoSuchEntity/.test(awsErrorName(e));
